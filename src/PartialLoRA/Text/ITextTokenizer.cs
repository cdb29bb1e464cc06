namespace PartialLoRA.Text;

/// <summary>
/// A tokenizer as the data and training layers use it: text (or a text pair) → ids with the model's special
/// tokens (e.g. [CLS] a [SEP] b [SEP]), truncated to <c>maxLength</c>.
/// </summary>
public interface ITextTokenizer
{
    int VocabSize { get; }
    int PadId { get; }

    IReadOnlyList<int> Encode(string text, string? pair = null, int maxLength = 128);
}
