using PartialLoRA.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Runtime;

public class TorchRuntimeTests
{
    [Fact]
    public void Tensors_and_backward_pass_work_on_cpu()
    {
        Assert.Equal(DeviceType.CPU, TestSupport.Torch.Device.type);
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new float[] { 1, -2, 3 }, requires_grad: true);
        var w = torch.tensor(new float[] { 0.5f, 0.25f, 2 }, requires_grad: true);
        var loss = (a * a * w).sum();
        loss.backward();
        Assert.Equal(new float[] { 1, -1, 12 }, a.grad!.data<float>().ToArray());   // d/da = 2·a·w
        Assert.Equal(new float[] { 1, 4, 9 }, w.grad!.data<float>().ToArray());     // d/dw = a²
    }

    [Fact]
    public void Sanity_check_fits_a_model_with_adamw()
    {
        var r = SanityCheck.Run(TestSupport.Torch.Device, steps: 100);
        Assert.True(r.FinalLoss < 0.01 * r.InitialLoss, $"loss {r.InitialLoss} -> {r.FinalLoss}");
        Assert.Null(r.Bf16MatmulTflops);
    }

    [Fact]
    public void Report_names_backend_device_and_versions()
    {
        var report = RuntimeReport.Collect(TestSupport.Torch);
        Assert.Equal("0.107.0", report.TorchSharpVersion);
        Assert.StartsWith("2.10.0", report.LibTorchVersion);
        Assert.StartsWith("cpu", report.Backend);
        Assert.Equal("cpu", report.Device);
        Assert.Contains(report.Lines(), l => l.Key == "glibcxx fix");
        Assert.Contains(report.Lines(), l => l.Key == "cpu bf16" && l.Value == CpuBf16.Describe(CpuBf16.Native()));
        Assert.DoesNotContain("MISSING", report.GlibcxxFix);
    }

    [Fact]
    public void Requesting_cuda_on_the_cpu_build_is_a_clear_error()
    {
        _ = TestSupport.Torch;
        var e = Assert.Throws<TorchRuntimeException>(() =>
            TorchRuntime.Initialize(new RuntimeOptions { Device = DeviceRequest.Parse("cuda", "test") }));
        Assert.Contains("CPU-only libtorch", e.Message);
        Assert.Contains(RuntimeOptions.LibTorchVariable, e.Message);
        Assert.Equal(DeviceType.CPU, TorchRuntime.Device.type);   // the failed request changed nothing
    }
}
