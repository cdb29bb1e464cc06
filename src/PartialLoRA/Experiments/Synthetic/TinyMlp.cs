using System.Text.Json.Nodes;
using PartialLoRA.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Experiments.Synthetic;

/// <summary>
/// <c>tiny-mlp</c>: a small randomly initialised residual MLP classifier over feature vectors, for engine tests
/// and installation checks with <c>synthetic-blobs</c>; not a paper model. Layout follows the adapter contract:
/// <c>embed</c> → <c>layers.i.{fc1, fc2}</c> (fields typed <c>Module&lt;Tensor,Tensor&gt;</c>, residual) →
/// <c>classifier</c>. Initialised as PyTorch's Linear (U(±1/√fan_in)) from an explicit generator.
/// </summary>
public sealed class TinyMlp : nn.Module<Tensor, Tensor>, IBlockwiseClassifier
{
    private readonly nn.Module<Tensor, Tensor> embed;
    private readonly ModuleList<MlpBlock> layers;
    private readonly nn.Module<Tensor, Tensor> classifier;

    public int NumClasses { get; }
    public int BlockCount => layers.Count;
    public nn.Module Module => this;

    public TinyMlp(int features, int hidden, int blocks, int numClasses, double dropout, long initSeed) : base("TinyMlp")
    {
        NumClasses = numClasses;
        using var gen = new Generator((ulong)initSeed);
        embed = Init(nn.Linear(features, hidden), gen);
        layers = new ModuleList<MlpBlock>(Enumerable.Range(0, blocks).Select(_ => new MlpBlock(hidden, dropout, gen)).ToArray());
        classifier = Init(nn.Linear(hidden, numClasses), gen);
        RegisterComponents();
    }

    internal static Linear Init(Linear l, Generator gen)
    {
        var bound = 1 / Math.Sqrt(l.weight!.shape[1]);
        // Tensor.uniform_ honours the generator; TorchSharp 0.107's nn.init.uniform_/normal_ ignore theirs.
        using (torch.no_grad())
        {
            l.weight.uniform_(-bound, bound, gen);
            l.bias?.uniform_(-bound, bound, gen);
        }
        return l;
    }

    public override Tensor forward(Tensor x) => Logits(x);

    public Tensor Logits(Tensor inputs, Tensor? attentionMask = null)
    {
        var h = Embed(inputs);
        for (int i = 0; i < layers.Count; i++) h = Block(i, h);
        return Head(h);
    }

    public Tensor Embed(Tensor inputs, Tensor? attentionMask = null) => embed.forward(inputs);

    public Tensor Block(int index, Tensor hidden, Tensor? attentionMask = null) => layers[index].forward(hidden);

    public Tensor Head(Tensor hidden, Tensor? attentionMask = null) => classifier.forward(hidden);

    public int? BlockIndexOf(string modulePath)
    {
        var parts = modulePath.Split('.');
        return parts.Length >= 2 && parts[0] == "layers" && int.TryParse(parts[1], out var i) && i < layers.Count ? i : null;
    }
}

/// <summary>h + fc2(dropout(gelu(fc1(h)))).</summary>
public sealed class MlpBlock : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> fc1;
    private readonly nn.Module<Tensor, Tensor> fc2;
    private readonly nn.Module<Tensor, Tensor> dropout;

    public MlpBlock(int hidden, double p, Generator gen) : base("MlpBlock")
    {
        fc1 = TinyMlp.Init(nn.Linear(hidden, 2 * hidden), gen);
        fc2 = TinyMlp.Init(nn.Linear(2 * hidden, hidden), gen);
        dropout = nn.Dropout(p);
        RegisterComponents();
    }

    public override Tensor forward(Tensor h) => h + fc2.forward(dropout.forward(nn.functional.gelu(fc1.forward(h))));
}

/// <summary>The model provider for <see cref="TinyMlp"/>.</summary>
public sealed class TinyMlpProvider : IModelProvider
{
    public string Name => "tiny-mlp";
    public string Description => "small randomly initialised residual MLP over feature vectors (engine self-test; not a paper model)";

    public JsonObject Normalize(JsonFields o)
    {
        var n = new JsonObject
        {
            ["hidden"] = o.Int("hidden", 32),
            ["layers"] = o.Int("layers", 2),
            ["dropout"] = o.Double("dropout", 0.1),
            ["init_seed"] = o.Long("init_seed", 0),
        };
        if (JsonFields.GetInt(n, "hidden") < 1) throw o.Error(o.FieldPath("hidden"), "must be ≥ 1");
        if (JsonFields.GetInt(n, "layers") < 1) throw o.Error(o.FieldPath("layers"), "must be ≥ 1");
        if (JsonFields.GetDouble(n, "dropout") is < 0 or >= 1) throw o.Error(o.FieldPath("dropout"), "must be in [0, 1)");
        o.RejectUnknown();
        return n;
    }

    public string CheckpointSha256(JsonObject options) => "random-init";

    public ModelInputs Inputs(ModelSpec spec) => ModelInputs.Features;

    public ModelHandle Build(ModelSpec spec, TrainingTask task, Device device)
    {
        var features = task.InputDescription.ContainsKey("features") ? JsonFields.GetInt(task.InputDescription, "features")
                       : throw new InvalidOperationException($"model tiny-mlp needs feature-vector inputs; dataset '{task.Name}' does not describe 'features'");
        var o = spec.Options;
        var model = new TinyMlp(features, JsonFields.GetInt(o, "hidden"), JsonFields.GetInt(o, "layers"), task.NumClasses,
            JsonFields.GetDouble(o, "dropout"), JsonFields.GetLong(o, "init_seed"));
        model.to(device);
        return new ModelHandle(model, Name, ["classifier"], _ => ["fc1", "fc2"]);
    }
}
