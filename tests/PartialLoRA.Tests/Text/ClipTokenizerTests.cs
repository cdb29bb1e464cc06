using PartialLoRA.Text;
using TorchSharp;

namespace PartialLoRA.Tests.Text;

/// <summary>
/// CLIP BPE against ids published by others who ran the reference tokenizers (sources cited per case); the
/// tokenizer-fixture test in HfParityTests adds HF's own output on more strings once the fixtures exist.
/// </summary>
public class ClipTokenizerTests
{
    public static string? VocabMissing => TestData.Missing(TestData.ClipVocab);

    private static readonly Lazy<ClipTokenizer?> Shared = new(() => VocabMissing is null ? ClipTokenizer.FromOpenAiVocabulary(TestData.ClipVocab) : null);

    /// <summary>The tokenizer on the real vocabulary (null when the data root is absent; tests using it are skipped then).</summary>
    public static ClipTokenizer? Tokenizer => Shared.Value;

    private static ClipTokenizer Tok => Tokenizer!;

    // HF transformers' own integration test for CLIPTokenizer (tests/models/clip/test_tokenization_clip.py,
    // integration_expected_token_ids, from openai/clip-vit-base-patch32) on the common input of
    // tests/test_tokenization_common.py, without special tokens.
    private const string HfCommonInput =
        "This is a test 😊\nI was born in 92000, and this is falsé.\n生活的真谛是\nHi  Hello\nHi   Hello\n\n \n  \n Hello\n<s>\nhi<s>there\n" +
        "The following string should be properly encoded: Hello.\nBut ird and ปี   ird   ด\nHey how are you doing";

    private static readonly int[] HfCommonIds =
    [
        589, 533, 320, 1628, 3020, 328, 739, 2683, 530, 280, 273, 271, 271, 271, 267, 537, 589, 533, 2778, 82, 4166, 269, 33375, 162, 112,
        119, 163, 248, 226, 41570, 164, 108, 249, 42891, 363, 1883, 3306, 1883, 3306, 3306, 283, 338, 285, 1883, 283, 338, 285, 997, 518,
        3473, 9696, 1535, 655, 12560, 524, 33703, 281, 3306, 269, 767, 2770, 537, 1777, 505, 20278, 2770, 38825, 2189, 829, 631, 592, 1960,
    ];

    [RequiresFact(typeof(ClipTokenizerTests), nameof(VocabMissing))]
    public void Matches_HF_transformers_integration_ids()
    {
        Assert.Equal(49408, Tok.VocabSize);
        Assert.Equal(HfCommonIds, Tok.EncodeWithoutSpecialTokens(HfCommonInput));
    }

    [RequiresTheory(typeof(ClipTokenizerTests), nameof(VocabMissing))]
    // elixir-nx/bumblebee test/bumblebee/text/clip_tokenizer_test.exs (HF openai/clip-vit-base-patch32 tokenizer)
    [InlineData("a photo of a cat", new[] { 49406, 320, 1125, 539, 320, 2368, 49407 })]
    [InlineData("a photo of a dog", new[] { 49406, 320, 1125, 539, 320, 1929, 49407 })]
    // A Swift CLIPTokenizerTests file whose ids were produced by transformers' AutoTokenizer("openai/clip-vit-base-patch32"):
    // merge-rank splits, the end-of-word suffix only on the last piece, case/whitespace folding, single digits, non-ASCII.
    [InlineData("mobileclip", new[] { 49406, 9451, 944, 8546, 49407 })]
    [InlineData("hatbox", new[] { 49406, 3447, 2063, 49407 })]
    [InlineData("hat box", new[] { 49406, 3801, 2063, 49407 })]
    [InlineData("Hello,   WORLD!", new[] { 49406, 3306, 267, 1002, 256, 49407 })]
    [InlineData("birthday cake 2024", new[] { 49406, 1166, 2972, 273, 271, 273, 275, 49407 })]
    [InlineData("café", new[] { 49406, 15304, 49407 })]
    [InlineData("🐶", new[] { 49406, 10631, 49407 })]
    [InlineData("", new[] { 49406, 49407 })]
    [InlineData("     ", new[] { 49406, 49407 })]
    public void Matches_published_ids(string text, int[] expected) => Assert.Equal(expected, Tok.Encode(text));

    [RequiresFact(typeof(ClipTokenizerTests), nameof(VocabMissing))]
    public void Special_tokens_in_text_truncation_and_decoding()
    {
        Assert.Equal([49406, 320, 49407, 2368, 49407], Tok.Encode("a<|endoftext|>cat"));
        var longText = string.Join(' ', Enumerable.Repeat("waterfall", 200));
        var ids = Tok.Encode(longText);
        Assert.Equal(ClipTokenizer.ContextLength, ids.Count);
        Assert.Equal(ClipTokenizer.StartOfTextId, ids[0]);
        Assert.Equal(ClipTokenizer.EndOfTextId, ids[^1]);
        // HF's integration_expected_decoded_text for the same input: every token ends a word on decode
        Assert.Equal(
            "this is a test 😊 i was born in 9 2 0 0 0 , and this is falsé . 生活的真谛是 hi hello hi hello hello < s > hi < s > there the following " +
            "string should be properly encoded : hello . but ird and ป ี ird ด hey how are you doing",
            Tok.Decode(Tok.Encode(HfCommonInput)));
        Assert.Throws<ArgumentException>(() => Tok.Encode("a", "b"));
    }

    [RequiresFact(typeof(ClipTokenizerTests), nameof(VocabMissing))]
    public void Batches_pad_with_end_of_text_and_mask_the_padding()
    {
        _ = TestSupport.Torch;
        var (ids, mask) = Tok.EncodeBatch(["a cat", "a photo of a dog"]);
        Assert.Equal([2, 7], ids.shape);
        Assert.Equal(new long[] { 49406, 320, 2368, 49407, 49407, 49407, 49407 }, ids[0].data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 1, 0, 0, 0 }, mask[0].data<long>().ToArray());
        var (fixedIds, _) = Tok.EncodeBatch(["a cat"], padToMaxLength: true);
        Assert.Equal([1, 77], fixedIds.shape);
    }

    [Fact]
    public void Missing_vocabulary_file_is_named()
    {
        var e = Assert.Throws<FileNotFoundException>(() => ClipTokenizer.FromOpenAiVocabulary("/nonexistent/bpe.txt.gz"));
        Assert.Contains("/nonexistent/bpe.txt.gz", e.Message);
    }
}
