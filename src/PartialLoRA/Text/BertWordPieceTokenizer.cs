using Microsoft.ML.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Text;

/// <summary>
/// BERT's uncased WordPiece tokenizer (bert-base-uncased's 30,522-token <c>vocab.txt</c>): Microsoft.ML.Tokenizers'
/// <see cref="BertTokenizer"/> with HF's BertTokenizer behaviour (basic tokenisation: clean text, split CJK
/// characters, lower case, strip accents, split punctuation; then greedy longest-match WordPiece with <c>##</c>
/// continuations, [UNK] for words that cannot be covered). Sequences are <c>[CLS] a [SEP]</c> or
/// <c>[CLS] a [SEP] b [SEP]</c>, truncated longest-first as HF does.
/// </summary>
public sealed class BertWordPieceTokenizer : ITextTokenizer
{
    private readonly BertTokenizer bert;

    public int VocabSize { get; }
    public int PadId => bert.PaddingTokenId;
    public int ClsId => bert.ClassificationTokenId;
    public int SepId => bert.SeparatorTokenId;
    public int MaskId => bert.MaskingTokenId;
    public int UnknownId { get; }

    private BertWordPieceTokenizer(BertTokenizer bert, int vocabSize, int unknownId)
    {
        this.bert = bert;
        VocabSize = vocabSize;
        UnknownId = unknownId;
    }

    /// <param name="vocabPath">A WordPiece vocab.txt, one token per line (line n = id n).</param>
    public static BertWordPieceTokenizer FromVocab(string vocabPath, bool lowerCase = true)
    {
        if (!File.Exists(vocabPath)) throw new FileNotFoundException($"{vocabPath}: WordPiece vocabulary not found", vocabPath);
        var lines = File.ReadAllLines(vocabPath);
        foreach (var special in new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" })
            if (!lines.Contains(special)) throw new InvalidDataException($"{vocabPath}: the vocabulary has no {special} token");
        var bert = BertTokenizer.Create(vocabPath, new BertOptions
        {
            LowerCaseBeforeTokenization = lowerCase,
            ApplyBasicTokenization = true,
            IndividuallyTokenizeCjk = true,
            RemoveNonSpacingMarks = lowerCase,
            SplitOnSpecialTokens = true,
        });
        return new BertWordPieceTokenizer(bert, lines.Length, Array.IndexOf(lines, "[UNK]"));
    }

    /// <summary>WordPiece ids of <paramref name="text"/> without [CLS]/[SEP].</summary>
    public List<int> EncodeWithoutSpecialTokens(string text) => bert.EncodeToIds(text, addSpecialTokens: false).ToList();

    public IReadOnlyList<int> Encode(string text, string? pair = null, int maxLength = 128)
    {
        var special = pair is null ? 2 : 3;
        if (maxLength < special) throw new ArgumentOutOfRangeException(nameof(maxLength), $"must leave room for {special} special tokens");
        var (a, b) = PairTruncation.LongestFirst(EncodeWithoutSpecialTokens(text), pair is null ? null : EncodeWithoutSpecialTokens(pair), maxLength - special);
        var ids = new List<int>(a.Count + (b?.Count ?? 0) + special) { ClsId };
        ids.AddRange(a);
        ids.Add(SepId);
        if (b is not null)
        {
            ids.AddRange(b);
            ids.Add(SepId);
        }
        return ids;
    }

    /// <summary>Token type ids for an encoded sequence: 0 up to and including the first [SEP], 1 after.</summary>
    public static IReadOnlyList<int> TokenTypes(IReadOnlyList<int> ids, int sepId)
    {
        var first = ids.ToList().IndexOf(sepId);
        return ids.Select((_, i) => first >= 0 && i > first ? 1 : 0).ToList();
    }

    public (Tensor Ids, Tensor Mask) EncodeBatch(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs = null, int maxLength = 128, Device? device = null)
    {
        if (pairs is not null && pairs.Count != texts.Count) throw new ArgumentException($"{texts.Count} texts but {pairs.Count} pairs");
        var rows = texts.Select((t, i) => Encode(t, pairs?[i], maxLength)).ToList();
        return TokenBatch.Pad(rows, PadId, null, device);
    }

    public string Decode(IEnumerable<int> ids) => bert.Decode(ids, skipSpecialTokens: true);
}
