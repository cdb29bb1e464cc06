using PartialLoRA.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Training;

public class MechanicsTests
{
    public MechanicsTests() => _ = TestSupport.Torch;

    private static Parameter WithGrad(float[] grad)
    {
        var p = new Parameter(torch.zeros(grad.Length));
        p.grad = torch.tensor(grad);
        return p;
    }

    [Fact]
    public void Clipping_scales_gradients_to_the_global_norm()
    {
        var a = WithGrad([3f, 0f]);
        var b = WithGrad([0f, 4f]);
        var norm = GradientClipping.ClipByGlobalNorm([a, b], 1.0);
        Assert.Equal(5, norm, 5);
        Assert.Equal(new[] { 0.6f, 0f }, a.grad!.data<float>().ToArray().Select(x => MathF.Round(x, 5)));
        Assert.Equal(new[] { 0f, 0.8f }, b.grad!.data<float>().ToArray().Select(x => MathF.Round(x, 5)));
        // Below the limit nothing changes; null only measures.
        var c = WithGrad([0.3f, 0.4f]);
        Assert.Equal(0.5, GradientClipping.ClipByGlobalNorm([c], 1.0), 5);
        Assert.Equal(0.4f, c.grad!.data<float>()[1]);
        Assert.Equal(5, GradientClipping.ClipByGlobalNorm([WithGrad([3f, 4f])], null), 5);
    }

    [Fact]
    public void Non_finite_gradients_raise_diverged()
    {
        Assert.Throws<TrainingDivergedException>(() => GradientClipping.ClipByGlobalNorm([WithGrad([1f, float.NaN])], 1.0));
        Assert.Throws<TrainingDivergedException>(() => GradientClipping.ClipByGlobalNorm([WithGrad([float.PositiveInfinity])], null));
    }

    [Fact]
    public void Autocast_runs_matmul_in_bf16_inside_the_scope_only()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.randn(8, 8);
        var b = torch.randn(8, 8);
        Assert.False(Autocast.IsEnabled(torch.CPU));
        using (new Autocast(torch.CPU))
        {
            Assert.True(Autocast.IsEnabled(torch.CPU));
            Assert.Equal(ScalarType.BFloat16, a.matmul(b).dtype);
            // Precision-sensitive ops stay f32 under autocast (as PyTorch's CPU list: log_softmax).
            Assert.Equal(ScalarType.Float32, a.log_softmax(1).dtype);
            using (new Autocast(torch.CPU)) Assert.Equal(ScalarType.BFloat16, nn.functional.linear(a, b).dtype);
            Assert.True(Autocast.IsEnabled(torch.CPU)); // the inner scope restored the outer state
        }
        Assert.False(Autocast.IsEnabled(torch.CPU));
        Assert.Equal(ScalarType.Float32, a.matmul(b).dtype);
        Assert.Throws<ArgumentException>(() => new Autocast(torch.CPU, ScalarType.Float64));
    }

    [Fact]
    public void Bf16_training_on_cpu_runs_and_learns()
    {
        var task = TrainingSupport.Blobs(spread: 0.5);
        using var model = TrainingSupport.Mlp(task);
        var r = TrainingSupport.Train(task, model, TrainingSupport.Options(epochs: 5) with { Precision = Precision.Bf16 });
        Assert.Equal(Precision.Bf16, r.Precision);
        Assert.True(r.Test!["accuracy"] > 0.8, $"test accuracy {r.Test["accuracy"]}");
        // Weights stay f32 (autocast casts per op).
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.False(Autocast.IsEnabled(torch.CPU));
    }

    [Fact]
    public void Peak_rss_is_measured_per_run()
    {
        var m = PeakMemory.Start(torch.CPU);
        var big = new byte[64 << 20];
        Array.Fill(big, (byte)1);
        var r = m.Stop();
        GC.KeepAlive(big);
        Assert.True(r.CpuPeakRssBytes >= 64L << 20, $"peak {r.CpuPeakRssBytes}");
        Assert.Null(r.CudaPeakUsedBytes);
    }

    [Fact]
    public void Tensor_batches_cover_the_split_in_order_or_in_a_seeded_permutation()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.arange(10, dtype: ScalarType.Float32).unsqueeze(1);
        var y = torch.arange(10, dtype: ScalarType.Int64);
        var set = new TensorBatches(x, y);
        var ordered = set.Batches(4, null, torch.CPU).ToList();
        Assert.Equal([4L, 4, 2], ordered.Select(b => b.Labels.shape[0]));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), ordered.SelectMany(b => b.Labels.data<long>().ToArray()));
        long[] Shuffled(ulong seed)
        {
            return set.Batches(3, seed, torch.CPU).SelectMany(b =>
            {
                Assert.True(b.Labels.to(ScalarType.Float32).eq(b.Inputs.squeeze(1)).all().item<bool>()); // inputs follow their labels
                return b.Labels.data<long>().ToArray();
            }).ToArray();
        }
        var s1 = Shuffled(1);
        Assert.Equal(s1, Shuffled(1));
        Assert.NotEqual(s1, Shuffled(2));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), s1.Order());
        Assert.Throws<ArgumentException>(() => new TensorBatches(x, y.narrow(0, 0, 5)));
        Assert.Throws<ArgumentException>(() => new TensorBatches(x, y.to(ScalarType.Int32)));
    }
}
