using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Text;

/// <summary>
/// CLIP's byte-level BPE tokenizer with OpenAI's real vocabulary (<c>bpe_simple_vocab_16e6.txt.gz</c>: 48,894
/// merges; 256 byte symbols, the same with the end-of-word suffix <c>&lt;/w&gt;</c>, one token per merge, then
/// <c>&lt;|startoftext|&gt;</c> = 49406 and <c>&lt;|endoftext|&gt;</c> = 49407: 49,408 ids). Text is normalised as HF's
/// CLIPTokenizer does (NFC, whitespace runs → one space, lower case), split by CLIP's pattern (contractions, letter
/// runs, single digits, punctuation runs), mapped to GPT-2's byte alphabet and merged by rank. The BPE itself is
/// Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> (byte-level, end-of-word suffix); the vocabulary
/// construction, normalisation and pre-tokenisation are CLIP's and live here. Unlike OpenAI's original (not HF's),
/// no ftfy/HTML-unescape step is applied. Sequences are [SOT] text [EOT], truncated to the context length (77);
/// padding uses <c>&lt;|endoftext|&gt;</c> as HF does, with an attention mask.
/// </summary>
public sealed class ClipTokenizer : ITextTokenizer
{
    public const int StartOfTextId = 49406;
    public const int EndOfTextId = 49407;
    public const int ContextLength = 77;
    public const string StartOfText = "<|startoftext|>";
    public const string EndOfText = "<|endoftext|>";

    /// <summary>OpenAI's file holds a version line then the merges; CLIP uses the first 49152 − 256 − 2 of them.</summary>
    public const int MergeCount = 49152 - 256 - 2;

    // CLIP's pre-tokenisation pattern (the special tokens are split off before it runs).
    private static readonly Regex Pattern = new(@"'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+", RegexOptions.Compiled);

    private readonly BpeTokenizer bpe;
    private readonly string[] idToToken;
    private readonly Dictionary<char, byte> unicodeToByte;

    public int VocabSize => idToToken.Length;
    public int PadId => EndOfTextId;

    private ClipTokenizer(BpeTokenizer bpe, string[] idToToken)
    {
        this.bpe = bpe;
        this.idToToken = idToToken;
        unicodeToByte = ByteLevel.ByteToUnicode.ToDictionary(kv => kv.Value, kv => kv.Key);
    }

    /// <summary>Loads OpenAI's <c>bpe_simple_vocab_16e6.txt.gz</c> (or the same file uncompressed).</summary>
    public static ClipTokenizer FromOpenAiVocabulary(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"{path}: CLIP BPE vocabulary not found (OpenAI's bpe_simple_vocab_16e6.txt.gz, from github.com/openai/CLIP under clip/)", path);
        string[] lines;
        using (var fs = File.OpenRead(path))
        using (Stream s = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(fs, CompressionMode.Decompress) : fs)
        using (var r = new StreamReader(s, new UTF8Encoding(false, true)))
        {
            try
            {
                lines = r.ReadToEnd().Split('\n');
            }
            catch (Exception e) when (e is InvalidDataException or DecoderFallbackException)
            {
                throw new InvalidDataException($"{path}: not a readable CLIP BPE vocabulary: {e.Message}");
            }
        }
        if (lines.Length < MergeCount + 1)
            throw new InvalidDataException($"{path}: expected a version line and at least {MergeCount} merges, found {lines.Length} lines");
        var merges = new List<(string A, string B)>(MergeCount);
        for (int i = 1; i <= MergeCount; i++)
        {
            var parts = lines[i].Split(' ');
            if (parts.Length != 2) throw new InvalidDataException($"{path}: line {i + 1} is not a merge 'a b': '{lines[i]}'");
            merges.Add((parts[0], parts[1]));
        }
        var symbols = ByteLevel.ByteToUnicode.Select(kv => kv.Value.ToString()).ToList();
        var vocab = new List<string>(49408);
        vocab.AddRange(symbols);
        vocab.AddRange(symbols.Select(s => s + "</w>"));
        vocab.AddRange(merges.Select(m => m.A + m.B));
        vocab.Add(StartOfText);
        vocab.Add(EndOfText);
        return Build(vocab, merges.Select(m => $"{m.A} {m.B}").ToList(), path);
    }

    /// <summary>Loads HF's <c>vocab.json</c> + <c>merges.txt</c> (e.g. from an openai/clip-* folder).</summary>
    public static ClipTokenizer FromHfFiles(string vocabJson, string mergesTxt)
    {
        foreach (var p in new[] { vocabJson, mergesTxt })
            if (!File.Exists(p)) throw new FileNotFoundException($"{p}: CLIP tokenizer file not found", p);
        var map = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocabJson))
                  ?? throw new InvalidDataException($"{vocabJson}: empty vocabulary");
        var vocab = new string[map.Count];
        foreach (var (tok, id) in map)
        {
            if (id < 0 || id >= vocab.Length || vocab[id] != null)
                throw new InvalidDataException($"{vocabJson}: ids must be 0..{vocab.Length - 1}, each once; '{tok}' has {id}");
            vocab[id] = tok;
        }
        var lines = File.ReadAllLines(mergesTxt);
        // the first line is a version header ("#version: 0.2" in HF's files, prefixed by the file name in OpenAI's)
        var merges = lines.Skip(lines.Length > 0 && lines[0].Contains("#version") ? 1 : 0).Where(l => l.Length > 0).ToList();
        return Build(vocab, merges, mergesTxt);
    }

    private static ClipTokenizer Build(IReadOnlyList<string> vocab, List<string> merges, string source)
    {
        UnicodeNormalization.Require("CLIP tokenizer");
        if (vocab.Count <= EndOfTextId || vocab[StartOfTextId] != StartOfText || vocab[EndOfTextId] != EndOfText)
            throw new InvalidDataException($"{source}: expected {StartOfText} = {StartOfTextId} and {EndOfText} = {EndOfTextId}");
        var specials = new Dictionary<string, int> { [StartOfText] = StartOfTextId, [EndOfText] = EndOfTextId };
        var options = new BpeOptions(vocab.Select((t, i) => KeyValuePair.Create(t, i)))
        {
            Merges = merges,
            SpecialTokens = specials,
            EndOfWordSuffix = "</w>",
            ByteLevel = true,
            UnknownToken = null,
        };
        try
        {
            return new ClipTokenizer(BpeTokenizer.Create(options), vocab.ToArray());
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"{source}: merges do not fit the vocabulary: {e.Message}");
        }
    }

    /// <summary>HF's CLIP normalisation: NFC, every whitespace run → one space, lower case.</summary>
    public static string Normalize(string text)
    {
        var s = text.Normalize(NormalizationForm.FormC);
        s = Regex.Replace(s, @"\s+", " ");
        return s.ToLowerInvariant();
    }

    /// <summary>Token ids of <paramref name="text"/> without [SOT]/[EOT]; the special tokens written in the text map to their ids.</summary>
    public List<int> EncodeWithoutSpecialTokens(string text)
    {
        var ids = new List<int>();
        var normalized = Normalize(text);
        int pos = 0;
        foreach (Match special in Regex.Matches(normalized, Regex.Escape(StartOfText) + "|" + Regex.Escape(EndOfText)))
        {
            EncodeWords(normalized[pos..special.Index], ids);
            ids.Add(special.Value == StartOfText ? StartOfTextId : EndOfTextId);
            pos = special.Index + special.Length;
        }
        EncodeWords(normalized[pos..], ids);
        return ids;
    }

    private void EncodeWords(string text, List<int> ids)
    {
        foreach (Match m in Pattern.Matches(text))
            ids.AddRange(bpe.EncodeToIds(m.Value, considerPreTokenization: false, considerNormalization: false));
    }

    /// <summary>[SOT] text [EOT], the text truncated so that the whole fits in <paramref name="maxLength"/>.</summary>
    public IReadOnlyList<int> Encode(string text, string? pair = null, int maxLength = ContextLength)
    {
        if (pair is not null) throw new ArgumentException("CLIP's text encoder takes a single sequence, not a pair");
        if (maxLength < 2) throw new ArgumentOutOfRangeException(nameof(maxLength), "must leave room for [SOT] and [EOT]");
        var body = EncodeWithoutSpecialTokens(text);
        var ids = new List<int>(Math.Min(body.Count, maxLength - 2) + 2) { StartOfTextId };
        ids.AddRange(body.Take(maxLength - 2));
        ids.Add(EndOfTextId);
        return ids;
    }

    /// <summary>A padded batch: ids (N,T) int64 padded with <see cref="PadId"/> to the longest row (or to <paramref name="maxLength"/>), and the (N,T) 1/0 attention mask.</summary>
    public (Tensor Ids, Tensor Mask) EncodeBatch(IReadOnlyList<string> texts, Device? device = null, int maxLength = ContextLength, bool padToMaxLength = false)
    {
        var rows = texts.Select(t => Encode(t, null, maxLength)).ToList();
        return TokenBatch.Pad(rows, PadId, padToMaxLength ? maxLength : null, device);
    }

    /// <summary>Text of <paramref name="ids"/>: tokens joined, &lt;/w&gt; read as a space, bytes decoded as UTF-8; special tokens skipped.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var sb = new StringBuilder();
        foreach (var id in ids)
        {
            if (id is StartOfTextId or EndOfTextId) continue;
            if (id < 0 || id >= idToToken.Length) throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} is outside 0..{idToToken.Length - 1}");
            sb.Append(idToToken[id]);
        }
        var bytes = new List<byte>();
        var text = sb.ToString().Replace("</w>", " ");
        foreach (var ch in text)
            if (ch == ' ') bytes.Add((byte)' ');
            else bytes.Add(unicodeToByte[ch]);
        return Encoding.UTF8.GetString(bytes.ToArray()).Trim();
    }

    public string TokenOf(int id) => idToToken[id];
}
