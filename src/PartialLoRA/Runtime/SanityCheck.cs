using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Runtime;

/// <summary>Result of <see cref="SanityCheck.Run"/>: numbers measured on the selected device.</summary>
public sealed record SanityReport(
    string Device,
    double InitialLoss,
    double FinalLoss,
    int Steps,
    double Milliseconds,
    double? Bf16MatmulRelativeError,
    double? Bf16MatmulTflops);

/// <summary>
/// A few seconds of real work: fits a small linear model with AdamW (forward, backward, optimizer step) and,
/// on CUDA, runs a bf16 matmul against an f32 reference and times it.
/// </summary>
public static class SanityCheck
{
    public static SanityReport Run(Device? device = null, int steps = 200, long seed = 0)
    {
        device ??= TorchRuntime.Device;
        using var scope = torch.NewDisposeScope();
        using var gen = new Generator((ulong)seed, device);
        var x = torch.randn(512, 32, generator: gen, device: device);
        var wTrue = torch.randn(32, 4, generator: gen, device: device);
        var y = x.matmul(wTrue);
        var model = nn.Linear(32, 4, device: device);
        var opt = optim.AdamW(model.parameters(), lr: 0.05);
        var sw = Stopwatch.StartNew();
        double first = 0, last = 0;
        for (int i = 0; i < steps; i++)
        {
            using var step = torch.NewDisposeScope();
            opt.zero_grad();
            var loss = nn.functional.mse_loss(model.forward(x), y);
            loss.backward();
            opt.step();
            if (i == 0) first = loss.item<float>();
            if (i == steps - 1) last = loss.item<float>();
        }
        sw.Stop();

        double? relErr = null, tflops = null;
        if (device.type == DeviceType.CUDA)
        {
            const int n = 8192;
            var a = torch.randn(n, n, generator: gen, device: device);
            var b = torch.randn(n, n, generator: gen, device: device);
            var reference = a.matmul(b);
            var ab = a.to(ScalarType.BFloat16);
            var bb = b.to(ScalarType.BFloat16);
            var c = ab.matmul(bb);
            relErr = ((c.to(ScalarType.Float32) - reference).norm() / reference.norm()).item<float>();
            torch.cuda.synchronize();
            const int reps = 20;
            var t = Stopwatch.StartNew();
            for (int i = 0; i < reps; i++) ab.matmul(bb).Dispose();
            torch.cuda.synchronize();
            tflops = 2.0 * n * n * n * reps / t.Elapsed.TotalSeconds / 1e12;
        }
        model.Dispose();
        opt.Dispose();
        return new SanityReport(device.ToString(), first, last, steps, sw.Elapsed.TotalMilliseconds, relErr, tflops);
    }
}
