namespace PartialLoRA.Models;

/// <summary>
/// How an HF checkpoint maps onto a model, mirroring what transformers' <c>from_pretrained</c> tolerates:
/// <list type="bullet">
/// <item><see cref="IsIgnored"/>: names never loaded nor reported (HF's non-persistent buffers such as
/// <c>*.position_ids</c> and <c>*.rotary_emb.inv_freq</c> that old checkpoints still carry, tied duplicates).</item>
/// <item><see cref="OtherHeadPrefixes"/>: tensors of heads or towers this model does not have (a pretraining head,
/// CLIP's text tower under a vision classifier): skipped and reported, not an error.</item>
/// <item><see cref="FreshPrefixes"/>: the task head a backbone checkpoint cannot contain (DeBERTa's pooler and
/// classifier, LLaMA's score): keeps its seeded initialisation and is reported, not an error.</item>
/// <item><see cref="BasePrefix"/>: a checkpoint of the bare backbone (keys without <c>deberta.</c> / <c>model.</c>)
/// loads into the head model, as HF's base_model_prefix allows.</item>
/// <item><see cref="Aliases"/>: another name a checkpoint may use for a tensor.</item>
/// </list>
/// Anything else that is missing or unexpected fails a strict load; shape mismatches always fail.
/// </summary>
public sealed record HfLoadPolicy
{
    public static readonly HfLoadPolicy Default = new();

    /// <summary>Suffixes of HF buffers that are not (or no longer) persistent.</summary>
    public static readonly IReadOnlyList<string> NonPersistentSuffixes = ["position_ids", "rotary_emb.inv_freq"];

    public IReadOnlyList<string> IgnoredNames { get; init; } = [];
    public IReadOnlyList<string> OtherHeadPrefixes { get; init; } = [];
    public IReadOnlyList<string> FreshPrefixes { get; init; } = [];
    public string? BasePrefix { get; init; }
    public IReadOnlyDictionary<string, string> Aliases { get; init; } = new Dictionary<string, string>();

    public bool IsIgnored(string checkpointName) =>
        IgnoredNames.Contains(checkpointName) ||
        NonPersistentSuffixes.Any(s => checkpointName == s || checkpointName.EndsWith("." + s, StringComparison.Ordinal));

    public bool IsOtherHead(string checkpointName) => OtherHeadPrefixes.Any(p => Matches(checkpointName, p));

    public bool IsFresh(string moduleName) => FreshPrefixes.Any(p => Matches(moduleName, p));

    // "cls." matches "cls.predictions.bias"; "logit_scale" matches only itself.
    private static bool Matches(string name, string prefix) =>
        prefix.EndsWith('.') ? name.StartsWith(prefix, StringComparison.Ordinal) : name == prefix;
}
