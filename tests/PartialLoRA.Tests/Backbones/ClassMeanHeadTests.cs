using PartialLoRA.Backbones;
using PartialLoRA.Data;
using PartialLoRA.Data.Images;
using PartialLoRA.Models.Clip;
using PartialLoRA.Models.Deberta;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Backbones;

public class ClassMeanHeadTests
{
    public ClassMeanHeadTests() => _ = TestSupport.Torch;

    private static ClassificationSet Images(int perClass, int classes, long seed)
    {
        using var g = new Generator((ulong)seed);
        var n = perClass * classes;
        var x = torch.randint(0, 256, [n, 3, 8, 8], generator: g).to(ScalarType.Byte);
        var y = torch.tensor(Enumerable.Range(0, n).Select(i => (long)(i % classes)).ToArray());
        return new ClassificationSet("toy", "few-shot", x, y, Enumerable.Range(0, classes).Select(c => $"c{c}").ToList(), TaskType.ImageClassification, "accuracy");
    }

    [Fact]
    public void Class_means_average_each_class_and_refuse_an_empty_class()
    {
        var f = torch.tensor(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, [4, 2]);
        var y = torch.tensor(new long[] { 0, 1, 0, 1 });
        var m = ClassMeanHead.ClassMeans(f, y, 2);
        Assert.True(m.eq(torch.tensor(new float[] { 3, 4, 5, 6 }, [2, 2])).all().item<bool>());
        var e = Assert.Throws<ArgumentException>(() => ClassMeanHead.ClassMeans(f, y, 3));
        Assert.Contains("class 2 has no example", e.Message);
    }

    [Fact]
    public void Vision_head_is_the_scaled_cosine_nearest_class_mean_classifier()
    {
        using var model = new ClipVisionClassifier(BackboneFixtures.TinyVision, 12, ["c0", "c1", "c2"], seed: 7);
        using var set = Images(perClass: 4, classes: 3, seed: 1);
        var transform = ImagePreset.Lab(8).Eval;
        ClassMeanHead.Initialize(model, set, transform);

        model.eval();
        using var _ = torch.no_grad();
        var x = transform.Apply(set.Inputs, new PartialLoRA.Data.FewShot.SplitMix64(0));
        var f = model.Features(model.vision_model.Forward(x).LastHidden);
        var means = ClassMeanHead.ClassMeans(f, set.Labels, 3);
        var cos = torch.matmul(f, nn.functional.normalize(means, p: 2, dim: 1).t());
        var lin = (TorchSharp.Modules.Linear)model.classifier;
        Assert.True(torch.allclose(lin.weight!.norm(1, false, 2), torch.full(3, ClassMeanHead.ClipScale), rtol: 1e-5));
        Assert.Equal(0, lin.bias!.abs().max().item<float>());
        Assert.True(torch.allclose(model.Logits(x), cos * ClassMeanHead.ClipScale, rtol: 1e-4, atol: 1e-3));
        var mu = BackboneEval.Accuracy(model, set, transform);
        var expected = cos.argmax(1).eq(set.Labels).to(ScalarType.Float32).mean().item<float>();
        Assert.Equal(expected, mu, 6);
    }

    [Fact]
    public void Text_head_is_the_gaussian_nearest_class_mean_rule_on_pooled_features()
    {
        using var model = new DebertaV2ForSequenceClassification(BackboneFixtures.TinyText with { Labels = ["a", "b", "c"] }, seed: 2);
        using var g = new Generator(3);
        var ids = torch.randint(5, BackboneFixtures.VocabLines.Length, [12, 7], generator: g);
        var mask = torch.ones(12, 7, ScalarType.Int64);
        var y = torch.tensor(Enumerable.Range(0, 12).Select(i => (long)(i % 3)).ToArray());
        using var set = new ClassificationSet("toy", "few-shot", ids, y, ["a", "b", "c"], TaskType.SentenceClassification, "accuracy", mask);
        ClassMeanHead.Initialize(model, set);

        model.eval();
        using var _ = torch.no_grad();
        var f = model.pooler.call(model.deberta.Forward(ids, mask));
        var means = ClassMeanHead.ClassMeans(f, y, 3);
        var sq = torch.cdist(f, means).pow(2);
        var variance = (f - means.index_select(0, y)).pow(2).mean();
        // logit_c = −‖f − m_c‖² / (2σ²) + a constant per row
        var expected = -sq / (2 * variance);
        var logits = model.Logits(ids, mask);
        var centred = logits - logits.mean([1], keepdim: true);
        Assert.True(torch.allclose(centred, expected - expected.mean([1], keepdim: true), rtol: 1e-3, atol: 1e-3));
        Assert.True(logits.argmax(1).eq(sq.argmin(1)).all().item<bool>());
    }

    [Fact]
    public void Head_and_set_must_have_the_same_classes()
    {
        using var model = new ClipVisionClassifier(BackboneFixtures.TinyVision, 12, ["c0", "c1"], seed: 7);
        using var set = Images(perClass: 2, classes: 3, seed: 1);
        var e = Assert.Throws<ArgumentException>(() => ClassMeanHead.Initialize(model, set, ImagePreset.Lab(8).Eval));
        Assert.Contains("2 classes", e.Message);
    }
}
