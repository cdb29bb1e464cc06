using PartialLoRA.Benchmarks;
using PartialLoRA.Runtime;

namespace PartialLoRA.Tests.Benchmarks;

/// <summary>The <c>partial-lora bench finetune</c> verb, run as a child process at a tiny size on the CPU.</summary>
public sealed class BenchFinetuneCliTests
{
    private static readonly string[] Tiny =
    [
        "bench", "finetune", "--device", "cpu", "--threads", "1", "--preset", "clip-vit-lab-tiny", "--image", "16", "--batch", "2", "--rank", "4",
        "--classes", "10", "--warmup", "0", "--windows", "1", "--steps", "1",
    ];

    [Fact]
    public void Prints_the_table_and_writes_the_json_report()
    {
        var dir = TestSupport.TempDir("bench-finetune");
        var path = Path.Combine(dir, "ours.json");
        var r = TestSupport.RunCli(TestSupport.CliDll, [.. Tiny, "--methods", "lora,partial-80-compact,eval", "--out", path]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("partial-80-compact", r.Stdout);
        Assert.Contains("MFU", r.Stdout);
        var report = FinetuneReport.Load(path);
        Assert.Equal(FinetuneReport.ToolName, report.Tool);
        Assert.Equal(["lora", "partial-80-compact", "eval"], report.Results.Select(x => x.Method));
        Assert.Empty(report.Failures);
        Assert.Equal("cpu", report.Environment.Device);
        Assert.Equal(Denormals.Supported ? "flush" : null, report.Environment.Denormals);
        if (Denormals.Supported) Assert.Contains("1 CPU threads (subnormals flush);", r.Stdout);
        Assert.Equal(2, report.Options.Batch);
        Assert.True(report.Results[1].OptimizerStateBytes < report.Results[0].OptimizerStateBytes);
        Assert.Empty(Directory.GetFiles(dir, ".*tmp*"));
    }

    [Fact]
    public void Isolated_runs_each_method_in_a_child_process_and_merges_the_reports()
    {
        var dir = TestSupport.TempDir("bench-finetune-isolated");
        var path = Path.Combine(dir, "ours.json");
        var r = TestSupport.RunCli(TestSupport.CliDll, ["--denormals", "keep", .. Tiny, "--methods", "vera", "--isolate", "on", "--out", path]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var report = FinetuneReport.Load(path);
        Assert.Equal(["vera"], report.Results.Select(x => x.Method));
        // the environment comes from the child, which got the parent's --denormals
        Assert.Equal(Denormals.Supported ? "keep" : null, report.Environment.Denormals);
        Assert.All(report.Results, x => Assert.True(x.MemoryIsPerRun));
    }

    [Fact]
    public void An_unknown_method_is_a_one_line_error()
    {
        var r = TestSupport.RunCli(TestSupport.CliDll, [.. Tiny, "--methods", "lora,qlora"]);
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: unknown method 'qlora'", line);
    }
}
