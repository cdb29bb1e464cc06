using PartialLoRA.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Importance;

/// <summary>
/// A target weight matrix W^l (m×n) of the pretrained model: the Linear at a named_modules path. Rows are output
/// features (rows of B in Eq. 6), columns are input features (columns of A).
/// </summary>
public sealed record TargetLayer(string Path, Linear Linear)
{
    /// <summary>m = out_features.</summary>
    public int Rows => (int)Linear.out_features;

    /// <summary>n = in_features.</summary>
    public int Cols => (int)Linear.in_features;

    public Parameter Weight => Linear.weight ?? throw new InvalidOperationException($"layer '{Path}': the Linear has no weight");

    /// <summary>The path of the module that holds this layer ("" at the root).</summary>
    public string Parent => Path.LastIndexOf('.') is var i and >= 0 ? Path[..i] : "";

    /// <summary>
    /// Finds the Linear layers at <paramref name="paths"/> in <paramref name="model"/>'s named_modules, in the given
    /// order. A path that is missing, repeated, or not a Linear is an error naming the path.
    /// </summary>
    public static IReadOnlyList<TargetLayer> Resolve(IClassifier model, IEnumerable<string> paths)
    {
        var modules = model.Module.named_modules().ToDictionary(p => p.name, p => p.module);
        var result = new List<TargetLayer>();
        var seen = new HashSet<string>();
        foreach (var path in paths)
        {
            if (!seen.Add(path)) throw new ArgumentException($"layer '{path}' is listed twice");
            if (!modules.TryGetValue(path, out var module))
            {
                var linears = modules.Where(p => p.Value is Linear).Select(p => p.Key).ToList();
                var hint = linears.Count == 0 ? "it has no Linear modules"
                    : $"its Linear modules are {string.Join(", ", linears.Take(8))}{(linears.Count > 8 ? $", … ({linears.Count} in all)" : "")}";
                throw new ArgumentException($"layer '{path}' is not in the model ({model.Module.GetType().Name}); {hint}");
            }
            if (module is not Linear linear)
                throw new ArgumentException($"layer '{path}' is a {module.GetType().Name}; expected a Linear (the target weights of Algorithm 1 are Linear layers)");
            result.Add(new TargetLayer(path, linear));
        }
        if (result.Count == 0) throw new ArgumentException("no target layers given");
        return result;
    }

    /// <summary>Every Linear of the model whose path ends with one of <paramref name="names"/> (e.g. q_proj, fc1), in named_modules order.</summary>
    public static IReadOnlyList<string> FindPaths(IClassifier model, params string[] names) =>
        model.Module.named_modules()
            .Where(p => p.module is Linear && names.Any(n => p.name == n || p.name.EndsWith("." + n, StringComparison.Ordinal)))
            .Select(p => p.name)
            .ToList();
}
