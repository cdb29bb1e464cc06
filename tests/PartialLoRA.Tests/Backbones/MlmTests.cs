using PartialLoRA.Backbones;
using PartialLoRA.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Backbones;

public class MlmTests
{
    public MlmTests() => _ = TestSupport.Torch;

    private static readonly BertSpecialIds Specials = new(Cls: 2, Sep: 3, Pad: 0, Mask: 4);

    [Fact]
    public void Masking_selects_fifteen_percent_of_ordinary_tokens_80_10_10_and_is_seeded()
    {
        using var g0 = new Generator(11);
        var ids = torch.randint(5, 1000, [64, 128], generator: g0);
        ids[.., 0] = torch.tensor(2L);
        ids[.., 127] = torch.tensor(3L);
        ids[TensorIndex.Slice(0, 8), TensorIndex.Slice(100, 127)] = torch.tensor(0L);
        var mask = ids.ne(0).to(ScalarType.Int64);
        using var g1 = new Generator(5);
        using var g2 = new Generator(5);
        var m = MlmMasking.Apply(ids, mask, Specials, 1000, 0.15, g1);
        var again = MlmMasking.Apply(ids, mask, Specials, 1000, 0.15, g2);
        Assert.True(m.Inputs.eq(again.Inputs).all().item<bool>() && m.Selected.eq(again.Selected).all().item<bool>());

        var candidates = mask.eq(1) & ids.gt(4);
        Assert.False((m.Selected & ~candidates).any().item<bool>());
        Assert.True(m.Inputs.masked_select(~m.Selected).eq(ids.masked_select(~m.Selected)).all().item<bool>());
        Assert.True(m.Targets.eq(ids.masked_select(m.Selected)).all().item<bool>());
        var rate = m.Selected.sum().item<long>() / (double)candidates.sum().item<long>();
        Assert.InRange(rate, 0.14, 0.16);
        var selectedInputs = m.Inputs.masked_select(m.Selected);
        var masked = selectedInputs.eq(4).sum().item<long>() / (double)m.Targets.shape[0];
        var kept = selectedInputs.eq(m.Targets).sum().item<long>() / (double)m.Targets.shape[0];
        Assert.InRange(masked, 0.77, 0.83);
        Assert.InRange(kept, 0.08, 0.12);   // the 10% kept plus the rare random draw of the same id
    }

    [Fact]
    public void Packing_joins_sentences_with_cls_and_sep_within_the_length()
    {
        var dir = TestSupport.TempDir("mlm-pack");
        var tok = BertWordPieceTokenizer.FromVocab(BackboneFixtures.WriteVocab(dir));
        var sentences = new[] { "the film is good", "a bad plot", "it was fun and very good", "not a movie" };
        using var packed = PackedSequences.Pack(sentences, tok, maxLength: 10, seed: 1, purpose: "test");
        var words = sentences.Sum(s => tok.EncodeWithoutSpecialTokens(s).Count);
        var rows = packed.Ids.data<long>().ToArray();
        var mask = packed.AttentionMask.data<long>().ToArray();
        Assert.Equal(words + sentences.Length + packed.Rows, packed.Tokens);  // each sentence + its [SEP], one [CLS] per row
        for (int r = 0; r < packed.Rows; r++)
        {
            Assert.Equal(tok.ClsId, rows[r * 10]);
            var len = (int)mask.Skip(r * 10).Take(10).Sum();
            Assert.Equal(tok.SepId, rows[r * 10 + len - 1]);
            Assert.All(rows.Skip(r * 10 + len).Take(10 - len), id => Assert.Equal(tok.PadId, id));
        }
        using var same = PackedSequences.Pack(sentences, tok, maxLength: 10, seed: 1, purpose: "test");
        Assert.True(same.Ids.eq(packed.Ids).all().item<bool>());
    }

    [Fact]
    public void Corpus_drops_duplicates_and_every_training_sentence_overlapping_a_held_out_one()
    {
        var longs = Enumerable.Range(0, 40).Select(i => $"sentence number {i} has quite a few words in it").ToList();
        var phrases = longs.Select(s => s[..s.IndexOf(" has", StringComparison.Ordinal)]).ToList();   // sub-phrases, as SST-2 has
        var corpus = MlmCorpus.Build([("long", longs.Concat(longs)), ("phrases", phrases.Append("x"))], heldOutFraction: 0.05, seed: 3);
        Assert.Equal(40, corpus.Sources["long"]);
        Assert.Equal(41, corpus.Sources["phrases"]);
        Assert.Equal(4, corpus.HeldOut.Count);   // round(0.05 × 81)
        Assert.All(corpus.HeldOut, h => Assert.True(h.Split(' ').Length >= MlmCorpus.MinHeldOutWords));
        foreach (var h in corpus.HeldOut)
            Assert.DoesNotContain(corpus.Train, t => h.Contains(t) || t.Contains(h));
        Assert.Equal(81 - 4 - corpus.RemovedForOverlap, corpus.Train.Count);
        Assert.True(corpus.RemovedForOverlap >= 4);
        var again = MlmCorpus.Build([("long", longs.Concat(longs)), ("phrases", phrases.Append("x"))], heldOutFraction: 0.05, seed: 3);
        Assert.Equal(corpus.HeldOut, again.HeldOut);
    }
}
