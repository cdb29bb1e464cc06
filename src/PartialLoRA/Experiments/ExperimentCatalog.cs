using System.Text.Json;
using System.Text.Json.Nodes;

namespace PartialLoRA.Experiments;

/// <summary>
/// The models, datasets and methods a sweep spec or the <c>train</c> verb can name, and their normalisation:
/// a name or an object <c>{"name": …, options…}</c> becomes a spec with every default filled in, or an error
/// naming the field and the known names.
/// </summary>
public sealed class ExperimentCatalog
{
    private readonly Dictionary<string, IModelProvider> models = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IDatasetProvider> datasets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IMethod> methods = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, IModelProvider> Models => models;
    public IReadOnlyDictionary<string, IDatasetProvider> Datasets => datasets;
    public IReadOnlyDictionary<string, IMethod> Methods => methods;

    public ExperimentCatalog Add(IModelProvider p) { AddUnique(models, p.Name, p, "model"); return this; }
    public ExperimentCatalog Add(IDatasetProvider p) { AddUnique(datasets, p.Name, p, "dataset"); return this; }
    public ExperimentCatalog Add(IMethod m) { AddUnique(methods, m.Name, m, "method"); return this; }

    private static void AddUnique<T>(Dictionary<string, T> d, string name, T value, string kind)
    {
        if (!d.TryAdd(name, value)) throw new InvalidOperationException($"{kind} '{name}' is registered twice");
    }

    public ModelSpec NormalizeModel(JsonNode? node, string path, string source)
    {
        var (name, fields) = NameAndOptions(node, path, source, models.Keys, "model");
        var p = models[name];
        var options = p.Normalize(fields);
        var sha = p.CheckpointSha256(options);
        // The weights are identified by their hash; where they lie is not part of the run key.
        var checkpoint = options["checkpoint"]?.GetValue<string>();
        options.Remove("checkpoint");
        return new ModelSpec(name, options, sha, checkpoint);
    }

    public DatasetSpec NormalizeDataset(JsonNode? node, string path, string source)
    {
        var (name, fields) = NameAndOptions(node, path, source, datasets.Keys, "dataset");
        var p = datasets[name];
        var options = p.Normalize(fields);
        return new DatasetSpec(name, options, p.Fingerprint(options));
    }

    /// <summary>The method spec and its label (the spec's optional <c>label</c> field, not part of the run key).</summary>
    public (MethodSpec Spec, string? Label) NormalizeMethod(JsonNode? node, string path, string source)
    {
        string? label = null;
        if (node is JsonObject o && o.ContainsKey("label"))
        {
            var copy = (JsonObject)o.DeepClone();
            label = new JsonFields(copy, path, source).String("label");
            copy.Remove("label");
            node = copy;
        }
        var (name, fields) = NameAndOptions(node, path, source, methods.Keys, "method");
        return (new MethodSpec(name, methods[name].Normalize(fields)), label);
    }

    // "name" or {"name": "...", ...}: the name checked against the registry; the other fields left to the provider.
    private static (string Name, JsonFields Options) NameAndOptions(JsonNode? node, string path, string source,
        IEnumerable<string> known, string kind)
    {
        JsonObject obj;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String) obj = new JsonObject { ["name"] = v.GetValue<string>() };
        else if (node is JsonObject o) obj = (JsonObject)o.DeepClone();
        else throw new SpecException($"{source}: {path}: expected a {kind} name or an object with \"name\", got {JsonFields.Describe(node)}");
        var fields = new JsonFields(obj, path, source);
        var name = fields.String("name");
        if (!known.Contains(name))
            throw fields.Error(fields.FieldPath("name"), $"unknown {kind} '{name}'; known: {string.Join(", ", known.Order(StringComparer.Ordinal))}");
        obj.Remove("name");
        return (name, new JsonFields(obj, path, source));
    }
}
