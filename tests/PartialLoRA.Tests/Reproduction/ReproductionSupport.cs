using System.Text.Json.Nodes;
using PartialLoRA.Experiments;
using PartialLoRA.Reproduction;
using static PartialLoRA.Tests.Experiments.ExperimentSupport;

namespace PartialLoRA.Tests.Reproduction;

/// <summary>Specs parsed with a random-init lab preset (no backbones needed) and synthetic stores of finished runs.</summary>
internal static class ReproductionSupport
{
    public static readonly JsonNode VisionPreset = "clip-vit-lab-tiny";
    public static readonly JsonNode TextPreset = "deberta-v3-lab-tiny";

    public static SweepSpec Parse(JsonObject spec) => ReproductionSweep.Parse(spec);

    /// <summary>A result holding one finished run per (dataset, label, seed) with the given test accuracy (a fraction).</summary>
    public static SweepResult Result(SweepSpec spec, IEnumerable<(string Dataset, string Label, long Seed, double Test, long Trainable)> runs)
    {
        var records = runs.Select(r => Record(Config(method: "lora", seed: r.Seed, dataset: r.Dataset), r.Test, r.Test, r.Label, r.Trainable)).ToList();
        return new SweepResult(spec, records, ProtocolSummary.Summarize(records, spec.TopK), 0);
    }
}
