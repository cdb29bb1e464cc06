using System.Text.Json.Nodes;
using PartialLoRA.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Experiments.Synthetic;

/// <summary>
/// <c>synthetic-blobs</c>: a generated classification task for checking an installation and for the engine's own
/// tests (no files needed) — K Gaussian clusters in d dimensions, centres ~ N(0, separation²·I), points = centre
/// + N(0, spread²·I), train/validation/test drawn independently from one generator seeded by <c>data_seed</c>.
/// Not a paper dataset. Two classes add F1 and Matthews correlation to accuracy, to exercise the GLUE metrics.
/// </summary>
public sealed class GaussianBlobs : IDatasetProvider
{
    public string Name => "synthetic-blobs";
    public string Description => "generated Gaussian clusters (engine self-test; not a paper dataset)";

    public JsonObject Normalize(JsonFields o)
    {
        var n = new JsonObject
        {
            ["classes"] = Positive(o, "classes", 3, 2),
            ["features"] = Positive(o, "features", 16, 1),
            ["train_per_class"] = Positive(o, "train_per_class", 32, 1),
            ["validation_per_class"] = Positive(o, "validation_per_class", 16, 1),
            ["test_per_class"] = Positive(o, "test_per_class", 64, 1),
            ["separation"] = NonNegative(o, "separation", 1.0),
            ["spread"] = NonNegative(o, "spread", 1.0),
            ["data_seed"] = o.Long("data_seed", 0),
        };
        o.RejectUnknown();
        return n;
    }

    public string? Fingerprint(JsonObject options) => null;

    public TrainingTask Load(JsonObject o, ModelInputs inputs)
    {
        if (inputs.Kind != InputKind.Features)
            throw new ArgumentException($"dataset {Name} holds feature vectors; the model takes {inputs.Kind.ToString().ToLowerInvariant()} inputs (use a feature model such as tiny-mlp)");
        int k = JsonFields.GetInt(o, "classes"), d = JsonFields.GetInt(o, "features");
        using var gen = new Generator((ulong)JsonFields.GetLong(o, "data_seed"));
        using var scope = torch.NewDisposeScope();
        var centres = torch.randn(k, d, generator: gen) * JsonFields.GetDouble(o, "separation");
        TensorBatches Split(int perClass)
        {
            var labels = torch.arange(k, dtype: ScalarType.Int64).repeat_interleave(perClass);
            var x = centres.index_select(0, labels) + torch.randn(k * perClass, d, generator: gen) * JsonFields.GetDouble(o, "spread");
            return new TensorBatches(x.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope());
        }
        var train = Split(JsonFields.GetInt(o, "train_per_class"));
        var validation = Split(JsonFields.GetInt(o, "validation_per_class"));
        var test = Split(JsonFields.GetInt(o, "test_per_class"));
        // Keep the splits' tensors alive beyond this scope.
        foreach (var s in new[] { train, validation, test })
        {
            s.Inputs.DetachFromDisposeScope();
            s.Labels.DetachFromDisposeScope();
        }
        var metrics = k == 2
            ? new[] { ClassificationMetrics.Accuracy, ClassificationMetrics.F1, ClassificationMetrics.MatthewsCorrelation }
            : new[] { ClassificationMetrics.Accuracy };
        // D_t of Algorithm 1 is the training split, as in the paper's few-shot vision protocol.
        return new TrainingTask(Name, train, validation, test, Enumerable.Range(0, k).Select(i => $"blob {i}").ToList(), metrics,
            new JsonObject { ["features"] = d }, FewShot: train, Protocol: "generated Gaussian clusters");
    }

    private static int Positive(JsonFields o, string name, int fallback, int min)
    {
        var v = o.Int(name, fallback);
        if (v < min) throw o.Error(o.FieldPath(name), $"{v}: must be ≥ {min}");
        return v;
    }

    private static double NonNegative(JsonFields o, string name, double fallback)
    {
        var v = o.Double(name, fallback);
        if (v < 0) throw o.Error(o.FieldPath(name), $"{v}: must be ≥ 0");
        return v;
    }
}
