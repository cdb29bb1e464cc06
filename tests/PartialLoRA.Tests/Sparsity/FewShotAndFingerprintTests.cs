using PartialLoRA.Sparsity;
using PartialLoRA.Tests.Importance;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Sparsity;

public class FewShotAndFingerprintTests
{
    public FewShotAndFingerprintTests() => _ = TestSupport.Torch;

    [Fact]
    public void Sampling_takes_the_asked_shots_of_every_class_reproducibly()
    {
        using var scope = torch.NewDisposeScope();
        var labels = torch.tensor(Enumerable.Range(0, 60).Select(i => (long)(i % 3)).ToArray());
        var a = FewShotSet.SampleIndices(labels, 4, seed: 1);
        Assert.Equal(a, FewShotSet.SampleIndices(labels, 4, seed: 1));
        Assert.NotEqual(a, FewShotSet.SampleIndices(labels, 4, seed: 2));
        Assert.Equal(12, a.Distinct().Count());
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2], a.Select(i => i % 3));

        var inputs = torch.arange(60).to(ScalarType.Float32).unsqueeze(1);
        var set = FewShotSet.Sample(inputs, labels, 4, seed: 1);
        Assert.Equal(a.Select(i => (float)i), set.Inputs.squeeze(1).data<float>().ToArray());
        Assert.Equal(a.Select(i => i % 3), set.Labels.data<long>().ToArray());

        var few = Assert.Throws<ArgumentException>(() => FewShotSet.SampleIndices(labels, 21, seed: 1));
        Assert.Contains("class 0 has 20 samples, fewer than the 21 shots", few.Message);
    }

    [Fact]
    public void Few_shot_set_checks_shapes()
    {
        using var scope = torch.NewDisposeScope();
        Assert.Contains("expected shape (3)", Assert.Throws<ArgumentException>(() => new FewShotSet(torch.zeros(3, 2), torch.zeros(2, dtype: ScalarType.Int64))).Message);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => new FewShotSet(torch.zeros(3, 2), torch.zeros(3))).Message);
        Assert.Contains("attention mask", Assert.Throws<ArgumentException>(() =>
            new FewShotSet(torch.zeros(3, 2, dtype: ScalarType.Int64), torch.zeros(3, dtype: ScalarType.Int64), torch.ones(2, 2))).Message);
    }

    [Fact]
    public void Fingerprint_changes_with_any_weight_and_not_otherwise()
    {
        using var a = BlockMlp.Random([4, 5, 3], seed: 1);
        using var b = BlockMlp.Random([4, 5, 3], seed: 1);
        var ha = ModelFingerprint.OfModule(a);
        Assert.Matches("^sha256:[0-9a-f]{64}$", ha);
        Assert.Equal(ha, ModelFingerprint.OfModule(b));
        using (torch.no_grad()) b.named_parameters().First().parameter.view(-1)[0].add_(1e-3);
        Assert.NotEqual(ha, ModelFingerprint.OfModule(b));

        var file = Path.Combine(TestSupport.TempDir("fp"), "w.bin");
        File.WriteAllBytes(file, [1, 2, 3]);
        Assert.Equal("sha256:039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81", ModelFingerprint.OfFile(file));
    }
}
