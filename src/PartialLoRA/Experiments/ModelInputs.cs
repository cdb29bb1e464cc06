using PartialLoRA.Text;

namespace PartialLoRA.Experiments;

/// <summary>What a model takes as input.</summary>
public enum InputKind
{
    /// <summary>Feature vectors (the synthetic self-test task).</summary>
    Features,
    /// <summary>Images N×3×H×W float, preprocessed by a named preset of the data layer.</summary>
    Image,
    /// <summary>Token ids N×T int64 and an attention mask, from the model's tokenizer.</summary>
    Text,
}

/// <summary>
/// What the data must look like for a model: the input kind, the image preset (e.g. CLIP's 224-pixel
/// preprocessing, or the lab models' 32 pixels) or the tokenizer (with a key naming its vocabulary, so encoded sets
/// can be cached). A dataset is loaded for a model with these.
/// </summary>
public sealed record ModelInputs(InputKind Kind, string? ImagePreset = null, ITextTokenizer? Tokenizer = null, string? TokenizerKey = null)
{
    public static readonly ModelInputs Features = new(InputKind.Features);

    /// <summary>Identifies the encoding, for caching a loaded task across runs of the same model.</summary>
    public string Key => $"{Kind}|{ImagePreset}|{TokenizerKey}";
}
