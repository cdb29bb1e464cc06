using PartialLoRA.Data;
using PartialLoRA.Data.FewShot;
using PartialLoRA.Data.Images;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Data;

public class ClassificationSetTests
{
    private static ClassificationSet Images(int n) =>
        new("toy", "train", arange(n * 3 * 2 * 2, ScalarType.Int64).remainder(256).to(ScalarType.Byte).view(n, 3, 2, 2),
            tensor(Enumerable.Range(0, n).Select(i => (long)(i % 3)).ToArray()), ["a", "b", "c"], TaskType.ImageClassification, MetricNames.Accuracy);

    [Fact]
    public void Sequential_batches_cover_every_row_in_order_and_shuffled_ones_are_a_seeded_permutation()
    {
        TestSupport.Torch.ToString();
        using var set = Images(10);
        var seq = set.Batches(4, device: CPU).ToList();
        Assert.Equal([4, 4, 2], seq.Select(b => b.Count));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), seq.SelectMany(b => b.Indices));
        Assert.Equal(ScalarType.Float32, seq[0].Inputs.dtype);
        Assert.Equal(set.Inputs[5].to(ScalarType.Float32).div(255).data<float>().ToArray(), seq[1].Inputs[1].data<float>().ToArray());
        var s1 = set.Batches(4, shuffle: true, seed: 9, device: CPU).SelectMany(b => b.Indices).ToArray();
        var s2 = set.Batches(4, shuffle: true, seed: 9, device: CPU).SelectMany(b => b.Indices).ToArray();
        var s3 = set.Batches(4, shuffle: true, seed: 10, device: CPU).SelectMany(b => b.Indices).ToArray();
        Assert.Equal(s1, s2);
        Assert.NotEqual(s1, s3);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), s1.Order());
        Assert.Equal(2, set.Batches(4, dropLast: true, device: CPU).Count());
        foreach (var b in seq) b.Dispose();
    }

    [Fact]
    public void Batch_labels_match_their_rows_and_the_transform_runs_per_batch()
    {
        TestSupport.Torch.ToString();
        using var set = Images(7);
        var t = new ImageTransform { Size = 2, Mean = [0.5f, 0.5f, 0.5f], Std = [0.5f, 0.5f, 0.5f] };
        foreach (var b in set.Batches(3, shuffle: true, seed: 1, transform: t, device: CPU))
            using (b)
            {
                Assert.Equal(b.Indices.Select(i => i % 3), b.Labels.data<long>().ToArray());
                Assert.InRange(b.Inputs.min().item<float>(), -1f, 1f);
            }
    }

    [Fact]
    public void Construction_checks_shapes_and_label_range()
    {
        TestSupport.Torch.ToString();
        using var x = zeros(2, 3, 2, 2, ScalarType.Byte);
        Assert.Contains("label 3 is out of range for 3 classes",
            Assert.Throws<ArgumentException>(() => new ClassificationSet("toy", "train", x, tensor(new long[] { 0, 3 }), ["a", "b", "c"], TaskType.ImageClassification, "accuracy")).Message);
        Assert.Contains("2 inputs for 3 labels",
            Assert.Throws<ArgumentException>(() => new ClassificationSet("toy", "train", x, tensor(new long[] { 0, 1, 2 }), ["a", "b", "c"], TaskType.ImageClassification, "accuracy")).Message);
    }

    [Fact]
    public void Subsets_copy_rows_and_shared_handles_survive_disposal_of_the_original()
    {
        TestSupport.Torch.ToString();
        var set = Images(6);
        using var sub = set.Subset([5, 0], "sub");
        Assert.Equal(new long[] { 2, 0 }, sub.LabelArray());
        using var shared = set.Share();
        set.Dispose();
        Assert.Equal(6, shared.Count);
        Assert.Equal([2, 2, 2], shared.ClassCounts());
    }
}
