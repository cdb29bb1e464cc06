using Microsoft.ML.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Text;

/// <summary>
/// A SentencePiece model (<c>spm.model</c> / <c>tokenizer.model</c>, BPE or unigram) through Microsoft.ML.Tokenizers'
/// <see cref="SentencePieceTokenizer"/>, with the special-token layout of the model family:
/// <list type="bullet">
/// <item><see cref="Layout.DebertaV3"/>: <c>[CLS] a [SEP]</c> / <c>[CLS] a [SEP] b [SEP]</c>, ids of [CLS], [SEP], [PAD],
/// [UNK] read from the model's pieces, [MASK] the model's piece or else the id after the last piece (HF appends it).</item>
/// <item><see cref="Layout.Llama"/>: <c>&lt;s&gt; a</c> (HF's LlamaTokenizer adds BOS only; a pair is <c>&lt;s&gt; a &lt;s&gt; b</c>), pad = the
/// model's pad piece, else &lt;unk&gt; (LLaMA-2 has no pad token).</item>
/// </list>
/// </summary>
public sealed class SentencePieceTextTokenizer : ITextTokenizer
{
    public enum Layout { DebertaV3, Llama }

    private readonly SentencePieceTokenizer spm;
    private readonly Layout layout;

    public int VocabSize { get; }
    public int PadId { get; }
    public int ClsId { get; }
    public int SepId { get; }
    public int MaskId { get; }
    public int UnknownId => spm.UnknownId;

    private SentencePieceTextTokenizer(SentencePieceTokenizer spm, Layout layout, string source)
    {
        this.spm = spm;
        this.layout = layout;
        var v = spm.Vocabulary;
        int Piece(string p) => v.TryGetValue(p, out var id) ? id : throw new InvalidDataException($"{source}: the SentencePiece model has no '{p}' piece, which the {layout} layout needs");
        var pieces = v.Count;
        switch (layout)
        {
            case Layout.DebertaV3:
                ClsId = Piece("[CLS]");
                SepId = Piece("[SEP]");
                PadId = Piece("[PAD]");
                MaskId = v.TryGetValue("[MASK]", out var m) ? m : pieces;
                VocabSize = Math.Max(pieces, MaskId + 1);
                break;
            default:
                ClsId = spm.BeginningOfSentenceId;
                SepId = spm.EndOfSentenceId;
                PadId = v.TryGetValue("<pad>", out var p) ? p : spm.UnknownId;
                MaskId = -1;
                VocabSize = pieces;
                break;
        }
    }

    public static SentencePieceTextTokenizer Load(string modelPath, Layout layout)
    {
        if (!File.Exists(modelPath))
            throw new FileNotFoundException($"{modelPath}: SentencePiece model not found (DeBERTa-v3 ships it as spm.model, LLaMA as tokenizer.model)", modelPath);
        using var fs = File.OpenRead(modelPath);
        SentencePieceTokenizer spm;
        try
        {
            spm = SentencePieceTokenizer.Create(fs, addBeginningOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is not (FileNotFoundException or UnauthorizedAccessException))   // protobuf errors are IOExceptions
        {
            throw new InvalidDataException($"{modelPath}: not a SentencePiece model: {e.Message}");
        }
        return new SentencePieceTextTokenizer(spm, layout, modelPath);
    }

    /// <summary>
    /// The model's ids for <paramref name="text"/> (normalisation and whitespace handling as in the model), no special
    /// tokens. A run of unknown pieces becomes one, as the SentencePiece processor does (Microsoft.ML.Tokenizers 2.0.1
    /// emits one per character; the reference-library test caught it).
    /// </summary>
    public List<int> EncodeWithoutSpecialTokens(string text)
    {
        var ids = new List<int>();
        foreach (var id in spm.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false))
            if (!(id == spm.UnknownId && ids.Count > 0 && ids[^1] == spm.UnknownId)) ids.Add(id);
        return ids;
    }

    public IReadOnlyList<int> Encode(string text, string? pair = null, int maxLength = 128)
    {
        var special = layout == Layout.DebertaV3 ? (pair is null ? 2 : 3) : (pair is null ? 1 : 2);
        if (maxLength < special) throw new ArgumentOutOfRangeException(nameof(maxLength), $"must leave room for {special} special tokens");
        var (a, b) = PairTruncation.LongestFirst(EncodeWithoutSpecialTokens(text), pair is null ? null : EncodeWithoutSpecialTokens(pair), maxLength - special);
        var ids = new List<int> { ClsId };
        ids.AddRange(a);
        if (layout == Layout.DebertaV3) ids.Add(SepId);
        if (b is not null)
        {
            if (layout == Layout.Llama) ids.Add(ClsId);
            ids.AddRange(b);
            if (layout == Layout.DebertaV3) ids.Add(SepId);
        }
        return ids;
    }

    public (Tensor Ids, Tensor Mask) EncodeBatch(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs = null, int maxLength = 128, Device? device = null)
    {
        if (pairs is not null && pairs.Count != texts.Count) throw new ArgumentException($"{texts.Count} texts but {pairs.Count} pairs");
        var rows = texts.Select((t, i) => Encode(t, pairs?[i], maxLength)).ToList();
        return TokenBatch.Pad(rows, PadId, null, device);
    }

    public string Decode(IEnumerable<int> ids) =>
        spm.Decode(ids.Where(i => i != ClsId && i != SepId && i != PadId && i != MaskId && i < spm.Vocabulary.Count), considerSpecialTokens: false);
}
