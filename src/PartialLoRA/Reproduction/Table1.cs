using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using PartialLoRA.Backbones;
using PartialLoRA.Experiments.Methods;
using PartialLoRA.Models;

namespace PartialLoRA.Reproduction;

/// <summary>
/// §5.4, Table 1 "Evaluation using LLaMA2-7b": SST-2 accuracy of full fine-tuning, LoRA, random element masking of
/// ΔW (Xu &amp; Zhang 2024) and Partial-LoRA, the last two at the same number of trainable parameters (68K, 0.001% of
/// the model). The masking baseline needs its density found by a sweep; Partial-LoRA's comes from Algorithm 1. Here the
/// masking density is set so that masking trains as many adapter entries as Partial-LoRA's derived masks
/// (<see cref="MatchedDensity"/>): the paper's comparison at equal parameters, with the density taken from Algorithm 1
/// instead of a sweep.
/// </summary>
public static class Table1
{
    /// <summary>A cell of Table 1: SST-2 accuracy (%) and trainable parameters as printed.</summary>
    public sealed record PaperCell(string Method, double Accuracy, string Parameters);

    public const string FullFineTuning = "FT";
    public const string Lora = "LoRA";
    public const string Masking = "Masking";
    public const string Partial = "Partial-LoRA";

    /// <summary>Table 1 of the paper (LLaMA-2-7B, SST-2).</summary>
    public static IReadOnlyList<PaperCell> Paper { get; } =
    [
        new(FullFineTuning, 94.7, "6.7B"),
        new(Lora, 95.4, "4.2M"),
        new(Masking, 95.5, "68K (0.001%)"),
        new(Partial, 94.9, "68K (0.001%)"),
    ];

    /// <summary>
    /// The model: the lab DeBERTa-v3 text backbone (smoke, lab) — pretrained by us (MLM on GLUE text), so Algorithm 1
    /// has a meaningful μ to preserve; the lab LLaMA preset exists only randomly initialised, which would make the
    /// derived ratios meaningless — or LLaMA-2-7B from <see cref="PaperModels"/> (paper).
    /// </summary>
    public static JsonNode Model(ReproductionProfile profile) => profile == ReproductionProfile.Paper
        ? PaperModels.Llama.Model()
        : ReproductionSweep.Model(profile, Modality.Text);

    /// <summary>Stage 1: FT, LoRA and Partial-LoRA (their runs fix the masking density of stage 2).</summary>
    public static JsonObject Spec(ReproductionProfile profile, long seed, JsonNode? model = null) => Build(profile, seed, model, "table1",
    [
        new JsonObject { ["name"] = "full", ["label"] = FullFineTuning },
        new JsonObject { ["name"] = "lora", ["label"] = Lora, ["target_modules"] = AdapterOptions.DefaultTargets },
        new JsonObject { ["name"] = "partial-lora", ["label"] = Partial, ["target_modules"] = AdapterOptions.DefaultTargets },
    ]);

    /// <summary>Stage 2: random element masking of ΔW at <paramref name="density"/>.</summary>
    public static JsonObject MaskingSpec(ReproductionProfile profile, long seed, double density, JsonNode? model = null) =>
        Build(profile, seed, model, "table1-masking",
            [new JsonObject { ["name"] = "masking", ["density"] = density, ["label"] = Masking, ["target_modules"] = AdapterOptions.DefaultTargets }]);

    /// <summary>
    /// SST-2 (smoke: <see cref="ReproductionSweep"/>'s text subsets) on <see cref="Model"/>; the adapters target every
    /// layer in every profile, as <see cref="Shapes(ReproductionProfile)"/> counts them for the matched density.
    /// </summary>
    private static JsonObject Build(ReproductionProfile profile, long seed, JsonNode? model, string name, JsonObject[] methods) =>
        ReproductionSweep.Spec(name, profile, Modality.Text, seed, [ReproductionSweep.Dataset("sst2", profile)], methods, model ?? Model(profile));

    /// <summary>The adapted weights (LoRA's default targets, the attention query and value projections): Σ m·n and Σ (m + n).</summary>
    public sealed record TargetShapes(long Elements, long RowsPlusColumns, int Modules);

    /// <summary>The query/value projections of a DeBERTa (h×h each) or LLaMA (q: h×h, v: kv·d×h) config, per layer.</summary>
    public static TargetShapes Shapes(HfConfigJson config)
    {
        int Need(string field) => config.IntOrNull(field) ?? throw new InvalidDataException($"{config.Source}: field '{field}' is missing");
        var h = Need("hidden_size");
        var layers = Need("num_hidden_layers");
        var heads = Need("num_attention_heads");
        var v = config.IntOrNull("num_key_value_heads") is { } kv ? kv * (h / heads) : h;
        return new TargetShapes(layers * ((long)h * h + (long)v * h), layers * ((long)(h + h) + (v + h)), 2 * layers);
    }

    /// <summary>The shapes of the profile's model, read from its config.json (the lab text backbone, or the paper's folder).</summary>
    public static TargetShapes Shapes(ReproductionProfile profile) => Shapes(HfModelFolder.ReadConfig(
        profile == ReproductionProfile.Paper ? PaperModels.Llama.Path() : LabBackbones.VerifiedFolder(LabBackbones.TextName)));

    /// <summary>
    /// The masking density that trains as many ΔW entries as Partial-LoRA's adapters: both runs also train the head,
    /// whose size is LoRA's count minus r·Σ(m + n); Partial-LoRA's adapter entries are its count minus the head.
    /// Null when Algorithm 1 kept no row or column of any target (Partial-LoRA trains the head alone): there is no
    /// density to match, and no masking run to make.
    /// </summary>
    public static double? MatchedDensity(long loraTrainable, long partialTrainable, int rank, TargetShapes shapes)
    {
        var head = loraTrainable - (long)rank * shapes.RowsPlusColumns;
        if (head < 0) throw new ArgumentException($"LoRA's {loraTrainable} trainable parameters are fewer than its adapters' {rank}·{shapes.RowsPlusColumns}; the shapes do not belong to this model");
        var adapters = partialTrainable - head;
        if (adapters < 0) throw new ArgumentException($"Partial-LoRA's {partialTrainable} trainable parameters are fewer than the head's {head}; the runs do not belong together");
        return adapters == 0 ? null : Math.Min(1.0, (double)adapters / shapes.Elements);
    }

    /// <summary>Ours beside Table 1: accuracy (mean ± std, %), trainable parameters and their share of the model, the paper's cells.</summary>
    public static DataFrame Frame(SweepResult stage1, SweepResult? masking)
    {
        var totalParameters = stage1.Runs.Select(r => r.Details["total_parameters"]?.GetValue<long>() ?? 0).DefaultIfEmpty(0).Max();
        var methods = new[] { FullFineTuning, Lora, Masking, Partial };
        var dataset = stage1.Spec.Datasets[0].Name;
        var cells = methods.Select(m => m == Masking ? masking?.Cell(dataset, m) : stage1.Cell(dataset, m)).ToArray();
        return new DataFrame(
            new StringDataFrameColumn("method", methods),
            new DoubleDataFrameColumn("accuracy (%)", cells.Select(c => 100 * SweepResult.Score(c).Mean)),
            new DoubleDataFrameColumn("± std", cells.Select(c => 100 * SweepResult.Score(c).Std)),
            new Int64DataFrameColumn("trainable params", cells.Select(c => c is null ? (long?)null : (long)c.TrainableParameters.Mean)),
            new DoubleDataFrameColumn("% of model", cells.Select(c => c is null || totalParameters == 0 ? (double?)null : 100 * c.TrainableParameters.Mean / totalParameters)),
            new Int32DataFrameColumn("runs", cells.Select(c => c?.Runs ?? 0)),
            new DoubleDataFrameColumn("paper (%)", methods.Select(m => Paper.First(p => p.Method == m).Accuracy)),
            new StringDataFrameColumn("paper params", methods.Select(m => Paper.First(p => p.Method == m).Parameters)));
    }
}
