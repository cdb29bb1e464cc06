using System.Text.Json.Nodes;
using PartialLoRA.Checkpoints;
using PartialLoRA.Data;
using PartialLoRA.Data.Registry;
using PartialLoRA.Models;

namespace PartialLoRA.Reproduction;

/// <summary>
/// The paper's models for the <c>paper</c> profile (CLIP ViT-B/16, DeBERTa-v3-base, LLaMA-2-7B), supplied by the user as
/// Hugging Face folders under one models root: <c>$PARTIALLORA_MODELS</c>, else <c>./models</c>. Every paper-profile
/// path resolves here, and <see cref="Missing"/> says what is absent and where it goes.
/// </summary>
public static class PaperModels
{
    public const string Variable = "PARTIALLORA_MODELS";

    /// <summary>A paper model: the engine's preset and its folder under the models root.</summary>
    public sealed record Entry(string Preset, string Folder, string Title)
    {
        /// <summary>The folder's full path under <paramref name="modelsRoot"/> (default <see cref="Root"/>).</summary>
        public string Path(string? modelsRoot = null) => System.IO.Path.Combine(modelsRoot ?? Root(), Folder);

        /// <summary>The sweep spec's model entry: the preset with this folder as its checkpoint.</summary>
        public JsonObject Model(string? modelsRoot = null) => new() { ["name"] = Preset, ["checkpoint"] = Path(modelsRoot) };
    }

    public static Entry Clip { get; } = new("clip-vit-b16", "clip-vit-base-patch16", "CLIP ViT-B/16");
    public static Entry Deberta { get; } = new("deberta-v3-base", "deberta-v3-base", "DeBERTa-v3-base");
    public static Entry Llama { get; } = new("llama-2-7b", "Llama-2-7b-hf", "LLaMA-2-7B");

    public static string Root() =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } m ? System.IO.Path.GetFullPath(m) : System.IO.Path.GetFullPath("models");

    /// <summary>What the folder lacks (config.json, weights), with how to supply it; null when both are there.</summary>
    public static string? MissingWeights(Entry model, string? modelsRoot = null)
    {
        var folder = model.Path(modelsRoot);
        var config = File.Exists(System.IO.Path.Combine(folder, HfModelFolder.ConfigFileName));
        var weights = File.Exists(System.IO.Path.Combine(folder, TensorCheckpoint.SingleFileName))
                      || File.Exists(System.IO.Path.Combine(folder, TensorCheckpoint.IndexFileName));
        if (config && weights) return null;
        var lacks = string.Join(", ", new[] { config ? null : HfModelFolder.ConfigFileName, weights ? null : TensorCheckpoint.SingleFileName }.OfType<string>());
        return $"model {model.Preset}: {folder} lacks {lacks} (set ${Variable} to move the models root). {HfModelFolder.HowToSupply(folder)}";
    }

    /// <summary>
    /// What the paper profile lacks for <paramref name="models"/> and <paramref name="datasets"/>: one line per missing
    /// model folder or dataset, saying where it goes. Empty when everything is there.
    /// </summary>
    public static IReadOnlyList<string> Missing(IEnumerable<Entry> models, IEnumerable<string> datasets, string? dataRoot = null,
        string? modelsRoot = null) =>
        models.Select(m => MissingWeights(m, modelsRoot)).OfType<string>().Concat(Available(datasets, dataRoot).Missing.Select(m => "dataset " + m)).ToList();

    /// <summary>Which of <paramref name="datasets"/> the data root holds; the others with how to get them.</summary>
    public static (IReadOnlyList<string> Present, IReadOnlyList<string> Missing) Available(IEnumerable<string> datasets, string? dataRoot = null)
    {
        var root = DataRoot.Resolve(dataRoot);
        var present = new List<string>();
        var missing = new List<string>();
        foreach (var d in datasets)
            try
            {
                DatasetRegistry.Open(DatasetRegistry.Get(d), root);
                present.Add(d);
            }
            catch (DatasetNotFoundException e)
            {
                missing.Add($"{d}: {e.Message}");
            }
        return (present, missing);
    }

    /// <summary>
    /// Why an analysis notebook (01, 02, 11–15: they analyse the lab backbones) skips in the paper profile: CLIP ViT-B/16
    /// is missing (and where it goes), or it is there and the engine command that runs <paramref name="what"/> at paper scale.
    /// </summary>
    public static string VisionNotice(string what) => MissingWeights(Clip) is { } missing
        ? $"{what} needs the paper's {Clip.Title} weights: {missing}"
        : $"{what}: the weights are in {Clip.Path()}. This notebook runs on the lab backbones; at paper scale run the engine, e.g. " +
          $"`partial-lora derive --model '{Clip.Model().ToJsonString()}' --dataset cifar10 --method '{{\"name\": \"partial-lora\", \"importance\": \"svd\"}}'`.";
}
