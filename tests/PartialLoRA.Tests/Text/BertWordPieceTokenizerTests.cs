using PartialLoRA.Text;

namespace PartialLoRA.Tests.Text;

/// <summary>BERT uncased WordPiece on the real bert-base-uncased vocabulary against HF transformers' own expected ids.</summary>
public class BertWordPieceTokenizerTests
{
    public static string? VocabMissing => TestData.Missing(TestData.BertVocab);

    private static readonly Lazy<BertWordPieceTokenizer?> Shared = new(() => VocabMissing is null ? BertWordPieceTokenizer.FromVocab(TestData.BertVocab) : null);
    private static BertWordPieceTokenizer Tok => Shared.Value!;

    // transformers tests/models/dpr/test_tokenization_dpr.py (DPR encoders use bert-base-uncased's vocabulary; the same
    // ids are in tests/models/distilbert/test_tokenization_distilbert.py): integration_expected_token_ids for the common
    // input of tests/test_tokenization_common.py, without special tokens.
    private const string HfCommonInput =
        "This is a test 😊\nI was born in 92000, and this is falsé.\n生活的真谛是\nHi  Hello\nHi   Hello\n\n \n  \n Hello\n<s>\nhi<s>there\n" +
        "The following string should be properly encoded: Hello.\nBut ird and ปี   ird   ด\nHey how are you doing";

    private static readonly int[] HfCommonIds =
    [
        2023, 2003, 1037, 3231, 100, 1045, 2001, 2141, 1999, 6227, 8889, 2692, 1010, 1998, 2023, 2003, 6270, 1012, 1910, 100, 1916, 1921, 100,
        100, 7632, 7592, 7632, 7592, 7592, 1026, 1055, 1028, 7632, 1026, 1055, 1028, 2045, 1996, 2206, 5164, 2323, 2022, 7919, 12359, 1024,
        7592, 1012, 2021, 20868, 2094, 1998, 100, 20868, 2094, 100, 4931, 2129, 2024, 2017, 2725,
    ];

    [RequiresFact(typeof(BertWordPieceTokenizerTests), nameof(VocabMissing))]
    public void Matches_HF_transformers_integration_ids()
    {
        Assert.Equal(30522, Tok.VocabSize);
        Assert.Equal(HfCommonIds, Tok.EncodeWithoutSpecialTokens(HfCommonInput));
    }

    [RequiresFact(typeof(BertWordPieceTokenizerTests), nameof(VocabMissing))]
    public void Pairs_use_cls_sep_layout_and_longest_first_truncation()
    {
        // transformers tests/models/bert/test_tokenization_bert.py: "UNwant\u00E9d,running" → [101, 18162, 1010, 2770, 102]
        Assert.Equal([101, 18162, 1010, 2770, 102], Tok.Encode("UNwant\u00E9d,running"));
        Assert.Equal((0, 101, 102, 103, 100), (Tok.PadId, Tok.ClsId, Tok.SepId, Tok.MaskId, Tok.UnknownId));
        var pair = Tok.Encode("hello world", "hi");
        Assert.Equal([101, 7592, 2088, 102, 7632, 102], pair);
        Assert.Equal([0, 0, 0, 0, 1, 1], BertWordPieceTokenizer.TokenTypes(pair, Tok.SepId));
        // longest-first: 6 + 1 real tokens into a budget of 8 - 3 = 5 trims the first sequence only
        var t = Tok.Encode("this is a test of it", "hi", maxLength: 8);
        Assert.Equal([101, 2023, 2003, 1037, 3231, 102, 7632, 102], t);
        Assert.Equal("this is a test", Tok.Decode(Tok.Encode("This is a TEST")));
        Assert.Equal([101, 1037, 103, 2003, 102], Tok.Encode("a [MASK] is"));
        Assert.Equal("unwanted , running", Tok.Decode(Tok.Encode("UNwant\u00E9d,running")));
    }
}
