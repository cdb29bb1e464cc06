using PartialLoRA.Data.FewShot;
using PartialLoRA.Text;
using static TorchSharp.torch;

namespace PartialLoRA.Backbones;

/// <summary>
/// Sentences tokenized with BERT WordPiece and packed, in a seeded order, into rows of at most
/// <c>maxLength</c> ids: <c>[CLS] s₁ [SEP] s₂ [SEP] …</c> (RoBERTa's full-sentence packing with BERT's separators),
/// padded with [PAD]; a sentence longer than a row is cut. Ids and attention mask are int64 (rows × maxLength).
/// </summary>
public sealed class PackedSequences : IDisposable
{
    public Tensor Ids { get; }
    public Tensor AttentionMask { get; }
    public int Rows => (int)Ids.shape[0];

    /// <summary>Non-padding ids.</summary>
    public long Tokens { get; }

    private PackedSequences(Tensor ids, Tensor mask, long tokens) => (Ids, AttentionMask, Tokens) = (ids, mask, tokens);

    public static PackedSequences Pack(IReadOnlyList<string> sentences, BertWordPieceTokenizer tokenizer, int maxLength, ulong seed, string purpose)
    {
        if (maxLength < 3) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "a row needs room for [CLS], a token and [SEP]");
        if (sentences.Count == 0) throw new ArgumentException($"{purpose}: no sentences to pack");
        var order = SplitMix64.For(seed, "mlm-pack", purpose).Permutation(sentences.Count);
        var rows = new List<List<int>>();
        var row = new List<int> { tokenizer.ClsId };
        foreach (var i in order)
        {
            var ids = tokenizer.EncodeWithoutSpecialTokens(sentences[i]);
            if (ids.Count == 0) continue;
            if (ids.Count > maxLength - 2) ids = ids.GetRange(0, maxLength - 2);
            if (row.Count + ids.Count + 1 > maxLength)
            {
                rows.Add(row);
                row = [tokenizer.ClsId];
            }
            row.AddRange(ids);
            row.Add(tokenizer.SepId);
        }
        if (row.Count > 1) rows.Add(row);
        var flat = new long[rows.Count * maxLength];
        var mask = new long[rows.Count * maxLength];
        long tokens = 0;
        for (int r = 0; r < rows.Count; r++)
        {
            for (int j = 0; j < maxLength; j++)
            {
                var inRow = j < rows[r].Count;
                flat[r * maxLength + j] = inRow ? rows[r][j] : tokenizer.PadId;
                mask[r * maxLength + j] = inRow ? 1 : 0;
            }
            tokens += rows[r].Count;
        }
        return new PackedSequences(tensor(flat, [rows.Count, maxLength]), tensor(mask, [rows.Count, maxLength]), tokens);
    }

    public void Dispose()
    {
        Ids.Dispose();
        AttentionMask.Dispose();
    }
}
