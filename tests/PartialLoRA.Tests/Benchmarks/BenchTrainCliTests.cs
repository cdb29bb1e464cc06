using PartialLoRA.Runtime;

namespace PartialLoRA.Tests.Benchmarks;

/// <summary>The <c>partial-lora bench train</c> verb, run as a child process on the synthetic defaults.</summary>
public sealed class BenchTrainCliTests
{
    [Theory]
    [InlineData("flush")]
    [InlineData("keep")]
    public void Times_one_run_and_prints_the_device_line_with_the_denormal_mode(string mode)
    {
        var cache = TestSupport.TempDir("bench-train");
        var r = TestSupport.RunCli(TestSupport.CliDll,
            ["--denormals", mode, "bench", "train", "--device", "cpu", "--threads", "1", "--training", """{"epochs":2,"batch_size":8}""", "--cache", cache],
            env: new Dictionary<string, string?> { [RuntimeOptions.DenormalsVariable] = null });
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("run           tiny-mlp / synthetic-blobs / full: ok", r.Stdout);
        Assert.Matches(@"wall time     [0-9.]+ s for \d+ steps in 2 epoch\(s\)", r.Stdout);
        Assert.Matches(@"throughput    [0-9.]+ steps/s", r.Stdout);
        var device = Assert.Single(r.Stdout.Split('\n'), l => l.StartsWith("device "));
        Assert.Matches(@"^device +cpu \(\w+\), 1 CPU threads", device);
        if (Denormals.Supported) Assert.EndsWith($", subnormals {mode}", device.TrimEnd());
        else Assert.DoesNotContain("subnormals", device);
    }
}
