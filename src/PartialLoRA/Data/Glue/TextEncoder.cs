using PartialLoRA.Text;
using static TorchSharp.torch;

namespace PartialLoRA.Data.Glue;

/// <summary>
/// GLUE examples → a token <see cref="ClassificationSet"/>: each example (sentence, or sentence pair) through
/// <see cref="ITextTokenizer.Encode"/> with the tokenizer's special tokens and truncation to <c>maxLength</c>; rows
/// padded on the right with <see cref="ITextTokenizer.PadId"/> to the longest row; attention mask 1 on tokens, 0 on
/// padding (both int64 N×T). Batches are later cut to their own longest row.
/// </summary>
public static class TextEncoder
{
    public static ClassificationSet Encode(GlueSplit split, ITextTokenizer tokenizer, int maxLength = 128, string? name = null)
    {
        if (maxLength <= 0) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "must be positive");
        if (!split.IsLabelled) throw new ArgumentException($"{split.Info.Name}/{split.Split}: the split is unlabelled (GLUE test); encode a labelled split");
        var n = split.Count;
        var ids = new List<IReadOnlyList<int>>(n);
        foreach (var e in split.Examples)
        {
            var t = tokenizer.Encode(e.Text, e.Pair, maxLength);
            if (t.Count == 0 || t.Count > maxLength)
                throw new InvalidOperationException($"{split.Info.Name}/{split.Split} example {e.Index}: the tokenizer returned {t.Count} ids for maxLength {maxLength}");
            foreach (var id in t)
                if ((uint)id >= (uint)tokenizer.VocabSize)
                    throw new InvalidOperationException($"{split.Info.Name}/{split.Split} example {e.Index}: token id {id} is outside the vocabulary of {tokenizer.VocabSize}");
            ids.Add(t);
        }
        var width = n == 0 ? 1 : ids.Max(t => t.Count);
        var tokens = new long[n * width];
        var mask = new long[n * width];
        for (int i = 0; i < n; i++)
        {
            var row = ids[i];
            for (int j = 0; j < width; j++)
            {
                tokens[i * width + j] = j < row.Count ? row[j] : tokenizer.PadId;
                mask[i * width + j] = j < row.Count ? 1 : 0;
            }
        }
        return new ClassificationSet(split.Info.Name, name ?? split.Split, tensor(tokens, [n, width]),
            tensor(split.Examples.Select(e => (long)e.Label).ToArray()), split.Info.Labels, split.Info.Type, split.Info.Metric,
            tensor(mask, [n, width]));
    }
}
