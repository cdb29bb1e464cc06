using System.Text.Json.Nodes;

namespace PartialLoRA.Reproduction;

/// <summary>
/// Fig. 2 (§5.1, "Sparsifying LoRAs"): accuracy against trainable parameters for LoRA, AdaLoRA, Partial-LoRA and
/// Partial-AdaLoRA on vision and language tasks. The figure prints no numbers; its points are the same runs as
/// Tables 5 and 6, whose numbers stand beside ours (Table 6 has no AdaLoRA row). §5.1's text: vision parameter
/// reductions average over 60% (max 80%, Pets), language 82% (max 87%, MRPC).
/// </summary>
public static class Figure2
{
    public static IReadOnlyList<ComparedMethod> Methods =>
        [PaperMethods.Lora, PaperMethods.PartialLora, PaperMethods.AdaLora, PaperMethods.PartialAdaLora];

    /// <summary>Each masked method and the dense method it sparsifies.</summary>
    public static IReadOnlyDictionary<string, string> MaskedToDense { get; } = new Dictionary<string, string>
    {
        ["Partial-LoRA"] = "LoRA",
        ["Partial-AdaLoRA"] = "AdaLoRA",
    };

    /// <summary>
    /// Fig. 2's vision runs. Method specs equal Table 5's, so in the same profile the two notebooks share their runs
    /// through the results store.
    /// </summary>
    public static JsonObject Vision(ReproductionProfile profile, long seed, string? backbones = null) =>
        MethodComparison.Spec("figure2-vision", profile, Modality.Vision, seed, Methods, backbones);

    public static JsonObject Language(ReproductionProfile profile, long seed, string? backbones = null) =>
        MethodComparison.Spec("figure2-language", profile, Modality.Text, seed, Methods, backbones);

    /// <summary>Tables 5 and 6 restricted to Fig. 2's methods.</summary>
    public static IReadOnlyList<PaperScore> Paper { get; } =
        Table5.Paper.Concat(Table6.Paper).Where(p => Methods.Any(m => m.Label == p.Method)).ToList();
}
