using PartialLoRA.Models;

namespace PartialLoRA.Reproduction;

/// <summary>
/// What the <c>paper</c> profile of the analysis notebooks needs: the paper's CLIP ViT-B/16 weights, supplied by the
/// user under <c>models/clip-vit-base-patch16</c>. These notebooks (01, 02, 11–15) analyse the lab backbones; the
/// message says what is missing and where it goes, or which command runs the same analysis at paper scale.
/// </summary>
public static class PaperProfile
{
    public const string VisionFolder = "models/clip-vit-base-patch16";

    /// <summary>The reason a notebook skips in the paper profile, for <paramref name="what"/> (e.g. "Algorithm 1 on CLIP ViT-B/16").</summary>
    public static string VisionNotice(string what, string? repositoryRoot = null)
    {
        var folder = Path.GetFullPath(Path.Combine(repositoryRoot ?? Directory.GetCurrentDirectory(), VisionFolder));
        var config = Path.Combine(folder, HfModelFolder.ConfigFileName);
        var weights = Path.Combine(folder, Checkpoints.TensorCheckpoint.SingleFileName);
        var index = Path.Combine(folder, Checkpoints.TensorCheckpoint.IndexFileName);
        if (!File.Exists(config) || !(File.Exists(weights) || File.Exists(index)))
            return $"{what} needs the paper's CLIP ViT-B/16 weights in {folder} ({(File.Exists(config) ? "" : "config.json missing; ")}" +
                   $"{(File.Exists(weights) || File.Exists(index) ? "" : "model.safetensors missing")}). {HfModelFolder.HowToSupply(folder)}";
        return $"{what}: the weights are in {folder}. This notebook runs on the lab backbones; at paper scale run the engine, e.g. " +
               $"`partial-lora derive --model '{{\"name\": \"clip-vit-b16\", \"checkpoint\": \"{VisionFolder}\"}}' --dataset cifar10 --method '{{\"name\": \"partial-lora\", \"importance\": \"svd\"}}'`.";
    }
}
