using System.Text;
using Microsoft.ML.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Text;

/// <summary>
/// BERT's uncased WordPiece tokenizer (bert-base-uncased's 30,522-token <c>vocab.txt</c>) as HF's BertTokenizer:
/// special tokens written in the text kept whole, <see cref="BertBasicTokenizer"/> (clean, split CJK, lower case,
/// strip accents, split punctuation), then Microsoft.ML.Tokenizers' <see cref="WordPieceTokenizer"/> for the greedy
/// longest-match WordPiece step (<c>##</c> continuations; a word that cannot be covered, or longer than 100
/// characters, is [UNK]). Sequences are <c>[CLS] a [SEP]</c> or <c>[CLS] a [SEP] b [SEP]</c>, truncated
/// longest-first as HF does.
/// </summary>
public sealed class BertWordPieceTokenizer : ITextTokenizer
{
    private static readonly string[] SpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    private readonly WordPieceTokenizer wordPiece;
    private readonly Dictionary<string, int> specials;
    private readonly bool lowerCase;
    private readonly string[] vocab;

    public int VocabSize => vocab.Length;
    public int PadId => specials["[PAD]"];
    public int ClsId => specials["[CLS]"];
    public int SepId => specials["[SEP]"];
    public int MaskId => specials["[MASK]"];
    public int UnknownId => specials["[UNK]"];

    private BertWordPieceTokenizer(WordPieceTokenizer wordPiece, Dictionary<string, int> specials, string[] vocab, bool lowerCase)
    {
        this.wordPiece = wordPiece;
        this.specials = specials;
        this.vocab = vocab;
        this.lowerCase = lowerCase;
    }

    /// <param name="vocabPath">A WordPiece vocab.txt, one token per line (line n = id n).</param>
    public static BertWordPieceTokenizer FromVocab(string vocabPath, bool lowerCase = true)
    {
        if (!File.Exists(vocabPath)) throw new FileNotFoundException($"{vocabPath}: WordPiece vocabulary not found", vocabPath);
        UnicodeNormalization.Require("BERT WordPiece tokenizer");
        var lines = File.ReadAllLines(vocabPath);
        var specials = new Dictionary<string, int>();
        foreach (var special in SpecialTokens)
        {
            var id = Array.IndexOf(lines, special);
            specials[special] = id >= 0 ? id : throw new InvalidDataException($"{vocabPath}: the vocabulary has no {special} token");
        }
        var wp = WordPieceTokenizer.Create(vocabPath, new WordPieceOptions
        {
            UnknownToken = "[UNK]",
            ContinuingSubwordPrefix = "##",
            MaxInputCharsPerWord = 100,
        });
        return new BertWordPieceTokenizer(wp, specials, lines, lowerCase);
    }

    /// <summary>WordPiece ids of <paramref name="text"/> without [CLS]/[SEP] (special tokens written in the text keep their ids).</summary>
    public List<int> EncodeWithoutSpecialTokens(string text)
    {
        var ids = new List<int>();
        int pos = 0;
        while (pos < text.Length)
        {
            var (at, special) = NextSpecial(text, pos);
            foreach (var word in BertBasicTokenizer.Tokenize(text[pos..at], lowerCase))
                ids.AddRange(wordPiece.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false));
            if (special is null) break;
            ids.Add(specials[special]);
            pos = at + special.Length;
        }
        return ids;
    }

    private static (int At, string? Special) NextSpecial(string text, int from)
    {
        var best = (At: text.Length, Special: (string?)null);
        foreach (var s in SpecialTokens)
        {
            var i = text.IndexOf(s, from, StringComparison.Ordinal);
            if (i >= 0 && i < best.At) best = (i, s);
        }
        return best;
    }

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

    /// <summary>Tokens joined with spaces, <c>##</c> continuations glued to the previous token, special tokens skipped.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var sb = new StringBuilder();
        foreach (var id in ids)
        {
            if (specials.ContainsValue(id) && id != UnknownId) continue;
            if (id < 0 || id >= vocab.Length) throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} is outside 0..{vocab.Length - 1}");
            var token = vocab[id];
            if (token.StartsWith("##")) sb.Append(token[2..]);
            else { if (sb.Length > 0) sb.Append(' '); sb.Append(token); }
        }
        return sb.ToString();
    }
}
