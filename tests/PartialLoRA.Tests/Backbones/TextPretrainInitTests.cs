using PartialLoRA.Backbones;
using PartialLoRA.Models;
using PartialLoRA.Text;

namespace PartialLoRA.Tests.Backbones;

/// <summary><c>pretrain text --init-from</c> at tiny size, through the library (the vision CLI tests cover the command line).</summary>
public class TextPretrainInitTests
{
    private static TextPretrainOptions Tiny(int epochs, double lr) => new()
    {
        Width = 16, Layers = 1, Heads = 2, IntermediateSize = 32, MaxLength = 16,
        Schedule = new PretrainSchedule
        {
            Epochs = epochs, BatchSize = 4, LearningRate = lr, WeightDecay = 0.01, WarmupEpochs = 1, MinLearningRateFactor = 0.01,
            Bf16 = false, Seed = 0, CheckpointEverySteps = 1000,
        },
    };

    private static TextPretrainData Data(string root)
    {
        var vocab = BackboneFixtures.WriteVocab(Path.Combine(root, "vocab"));
        var tokenizer = BertWordPieceTokenizer.FromVocab(vocab);
        string[] words = ["the film is good", "a movie was bad", "it was very fun", "the plot is not good", "a film and a plot"];
        var sentences = Enumerable.Range(0, 60).Select(i => $"{words[i % 5]} and {words[(i * 7 + 1) % 5]} {new string('a', 1 + i % 3)}").ToList();
        var corpus = MlmCorpus.Build([("tiny", sentences)], heldOutFraction: 0.1, seed: 0);
        return new TextPretrainData
        {
            Tokenizer = tokenizer, VocabularyPath = vocab, Corpus = corpus, Description = "tiny",
            Train = PackedSequences.Pack(corpus.Train, tokenizer, 16, 0, "train"),
            HeldOut = PackedSequences.Pack(corpus.HeldOut, tokenizer, 16, 0, "held-out"),
        };
    }

    [Fact]
    public void A_continued_text_run_starts_at_the_published_weights_and_refuses_another_hold_out()
    {
        var root = TestSupport.TempDir("text-init");
        var backbones = Path.Combine(root, "backbones");
        using var data = Data(root);
        var first = Tiny(epochs: 2, lr: 1e-3);
        var (m1, r1) = TextPretrainer.Train(first, data, Path.Combine(root, "w1"), TextWriter.Null);
        using (m1) TextPublisher.Publish(m1, data, first, r1, root, backbones, TextPublisher.DefaultName, sst2: false, "first", TextWriter.Null);
        var folder = Path.Combine(backbones, TextPublisher.DefaultName);
        var (published, _) = ModelRegistry.LoadMaskedLM(folder);
        using var _ = published;

        // a learning rate far below fp16's resolution: the continued model is the published one
        var init = PretrainInit.Open(folder);
        var second = Tiny(epochs: 2, lr: 1e-12) with { Init = init };
        var (m2, r2) = TextPretrainer.Train(second, data, Path.Combine(root, "w2"), TextWriter.Null);
        using (m2)
        {
            var a = published.state_dict();
            foreach (var (name, t) in m2.state_dict())
                Assert.True(t.allclose(a[name], rtol: 0, atol: 1e-6), name);
            TextPublisher.Publish(m2, data, second, r2, root, backbones, TextPublisher.DefaultName, sst2: false, "second", TextWriter.Null);
        }
        var entry = BackboneManifest.Open(backbones).Require(TextPublisher.DefaultName);
        Assert.Equal("first", entry["initialised_from"]!["command"]!.GetValue<string>());
        Assert.Equal(4, entry["epochs_total"]!.GetValue<int>());
        Assert.Equal(init.WeightsSha256, entry["options"]!["initialised_from"]!["model_safetensors_sha256"]!.GetValue<string>());

        // from random initialisation the same short run is far from it (so the check above can fail)
        var (m3, _) = TextPretrainer.Train(Tiny(epochs: 2, lr: 1e-12), data, Path.Combine(root, "w3"), TextWriter.Null);
        using (m3)
            Assert.False(m3.state_dict()["deberta.embeddings.word_embeddings.weight"].allclose(published.state_dict()["deberta.embeddings.word_embeddings.weight"], rtol: 0, atol: 1e-6));

        var other = Tiny(epochs: 2, lr: 1e-3) with { Init = PretrainInit.Open(folder), HeldOutFraction = 0.2 };
        var e = Assert.Throws<ArgumentException>(other.Validate);
        Assert.Contains("held_out_fraction 0.02 there, 0.2 here", e.Message);
        var vision = Assert.Throws<ArgumentException>(() => new VisionPretrainOptions { Init = PretrainInit.Open(folder) }.Validate());
        Assert.Contains("a 'text' backbone, this is a 'vision' run", vision.Message);
    }
}
