using PartialLoRA.Adapters.Benchmarks;
using TorchSharp;

namespace PartialLoRA.Tests.Adapters;

public class BenchmarkTests
{
    public BenchmarkTests() => _ = TestSupport.Torch;

    [Fact]
    public void Benchmark_reports_compact_storage_sizes_and_equal_outputs()
    {
        var r = CompactStorageBenchmark.Run(new CompactBenchmarkOptions { Dim = 64, Layers = 2, Rank = 4, RowRatio = 0.25, ColRatio = 0.5, Tokens = 8, Steps = 1 }, torch.CPU);
        Assert.Equal(["LoRA (unmasked)", "Partial-LoRA dense", "Partial-LoRA compact"], r.Rows.Select(x => x.Form));
        var (lora, dense, compact) = (r.Rows[0], r.Rows[1], r.Rows[2]);
        Assert.Equal(2L * 4 * (64 + 64), lora.TrainedEntries);
        Assert.Equal(lora.StoredElements, dense.StoredElements);
        Assert.Equal(dense.TrainedEntries, compact.TrainedEntries);
        Assert.Equal(compact.TrainedEntries, compact.StoredElements);
        Assert.True(compact.StoredElements < dense.StoredElements / 2);
        Assert.True(compact.CompactFileBytes < compact.SavedBytes);
        Assert.True(r.DenseVsCompactMaxAbsDiff <= 1e-6);
    }

    [Fact]
    public void Cli_bench_prints_the_table_and_rejects_bad_sizes()
    {
        var ok = TestSupport.RunCli(TestSupport.CliDll, ["adapters", "bench", "--dim", "32", "--layers", "1", "--rank", "2", "--tokens", "4", "--steps", "1", "--device", "cpu"]);
        Assert.True(ok.ExitCode == 0, ok.Stderr + ok.Stdout);
        Assert.Contains("Partial-LoRA compact", ok.Stdout);
        Assert.Contains("dense vs compact outputs: max |diff|", ok.Stdout);
        var bad = TestSupport.RunCli(TestSupport.CliDll, ["adapters", "bench", "--rank", "0", "--device", "cpu"]);
        Assert.Equal(2, bad.ExitCode);
        Assert.Equal("error: benchmark rank must be positive, got 0", bad.Stderr.Trim());
    }
}
