using System.Text.Json;
using PartialLoRA.Text;

namespace PartialLoRA.Tests.Text;

/// <summary>
/// Token ids from HF transformers' tokenizers on tricky strings (tests/fixtures/hf/tokenizers.json, made by
/// tools/parity/make_hf_fixtures.py): CLIP on OpenAI's vocabulary, BERT uncased WordPiece, DeBERTa-v2 and LLaMA
/// SentencePiece on the models in tests/fixtures/hf/spm. Ids must match exactly. Skipped while the fixture is absent.
/// </summary>
public class HfTokenizerParityTests
{
    private static readonly string FixtureDir = Path.Combine(TestData.RepoRoot, "tests", "fixtures", "hf");
    private static readonly string Fixture = Path.Combine(FixtureDir, "tokenizers.json");

    public static string? FixtureMissing =>
        File.Exists(Fixture) ? null : "HF fixture tests/fixtures/hf/tokenizers.json is absent: run tools/parity/make_hf_fixtures.py where torch + transformers are installed";

    public static string? ClipMissing => FixtureMissing ?? TestData.Missing(TestData.ClipVocab);
    public static string? BertMissing => FixtureMissing ?? TestData.Missing(TestData.BertVocab);

    private static JsonElement Root() => JsonDocument.Parse(File.ReadAllText(Fixture)).RootElement;

    private static int[][] Ids(JsonElement e) => e.EnumerateArray().Select(a => a.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();

    /// <param name="skip">Inputs not compared, with the reason stated at the call.</param>
    private static void AllEqual(string what, IReadOnlyList<string> inputs, int[][] expected, Func<int, IReadOnlyList<int>> encode, Func<string, bool>? skip = null)
    {
        var failures = new List<string>();
        for (int i = 0; i < expected.Length; i++)
        {
            if (skip?.Invoke(inputs[i]) == true) continue;
            var got = encode(i);
            if (!got.SequenceEqual(expected[i]))
                failures.Add($"{JsonSerializer.Serialize(inputs[i])}: transformers [{string.Join(",", expected[i])}] vs [{string.Join(",", got)}]");
        }
        Assert.True(failures.Count == 0, $"{what}: {failures.Count} of {expected.Length} differ:\n{string.Join("\n", failures)}");
    }

    private static string[] Strings(JsonElement root) => root.GetProperty("strings").EnumerateArray().Select(s => s.GetString()!).ToArray();

    private static (string A, string B)[] Pairs(JsonElement root) =>
        root.GetProperty("pairs").EnumerateArray().Select(p => (p[0].GetString()!, p[1].GetString()!)).ToArray();

    [RequiresFact(typeof(HfTokenizerParityTests), nameof(ClipMissing))]
    public void Clip_ids_match_transformers()
    {
        var root = Root();
        var s = Strings(root);
        var tok = ClipTokenizer.FromOpenAiVocabulary(TestData.ClipVocab);
        AllEqual("CLIP", s, Ids(root.GetProperty("clip").GetProperty("ids")), i => tok.Encode(s[i]));
    }

    [RequiresFact(typeof(HfTokenizerParityTests), nameof(BertMissing))]
    public void Bert_ids_match_transformers()
    {
        var root = Root();
        var s = Strings(root);
        var p = Pairs(root);
        var tok = BertWordPieceTokenizer.FromVocab(TestData.BertVocab);
        var bert = root.GetProperty("bert");
        AllEqual("BERT", s, Ids(bert.GetProperty("ids")), i => tok.Encode(s[i], maxLength: 512));
        AllEqual("BERT pairs", p.Select(x => x.A + " | " + x.B).ToList(), Ids(bert.GetProperty("pair_ids")), i => tok.Encode(p[i].A, p[i].B, 512));
    }

    [RequiresFact(typeof(HfTokenizerParityTests), nameof(FixtureMissing))]
    public void Deberta_v3_sentencepiece_ids_match_transformers()
    {
        var root = Root();
        var s = Strings(root);
        var p = Pairs(root);
        var d = root.GetProperty("deberta_v3_spm");
        var tok = SentencePieceTextTokenizer.Load(Path.Combine(FixtureDir, d.GetProperty("model").GetString()!), SentencePieceTextTokenizer.Layout.DebertaV3);
        // Special-token strings written inside the text ("[MASK]") are matched by HF's added-token splitting but are
        // plain text to SentencePiece, which this tokenizer follows (exactly, see SentencePieceTokenizerTests).
        AllEqual("DeBERTa-v3", s, Ids(d.GetProperty("ids")), i => tok.Encode(s[i], maxLength: 512), x => x.Contains("[MASK]"));
        AllEqual("DeBERTa-v3 pairs", p.Select(x => x.A + " | " + x.B).ToList(), Ids(d.GetProperty("pair_ids")), i => tok.Encode(p[i].A, p[i].B, 512));
    }

    [RequiresFact(typeof(HfTokenizerParityTests), nameof(FixtureMissing))]
    public void Llama_sentencepiece_ids_match_transformers()
    {
        var root = Root();
        var s = Strings(root);
        var l = root.GetProperty("llama_spm");
        var tok = SentencePieceTextTokenizer.Load(Path.Combine(FixtureDir, l.GetProperty("model").GetString()!), SentencePieceTextTokenizer.Layout.Llama);
        AllEqual("LLaMA", s, Ids(l.GetProperty("ids")), i => tok.Encode(s[i], maxLength: 512), x => x.Contains("<s>") || x.Contains("</s>"));
    }
}
