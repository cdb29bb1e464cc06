using PartialLoRA.Backbones;
using PartialLoRA.Experiments;
using PartialLoRA.Models.Clip;
using PartialLoRA.Models.Deberta;
using PartialLoRA.Tests.Backbones;

namespace PartialLoRA.Tests.Reproduction;

/// <summary>A tiny published backbones folder (vision + text) and a catalog, for specs that name the lab backbones.</summary>
internal static class ReproductionFixtures
{
    private static readonly Lazy<string> Root = new(() =>
    {
        _ = TestSupport.Torch;
        var root = TestSupport.TempDir("repro-backbones");
        using (var vision = new ClipVisionClassifier(BackboneFixtures.TinyVision, 12, ["a", "b"], seed: 3))
            BackboneFixtures.Publish(vision, root, LabBackbones.VisionName);
        using (var text = new DebertaV2ForMaskedLM(BackboneFixtures.TinyText, seed: 4))
            BackboneFixtures.Publish(text, root, LabBackbones.TextName, f => BackboneFixtures.WriteVocab(f));
        return root;
    });

    public static string Backbones => Root.Value;

    /// <summary>Datasets are only named by specs, never read, so any data root will do.</summary>
    public static ExperimentCatalog Catalog { get; } = BuiltInCatalog.Create(TestSupport.TempDir("repro-data"));
}
