using System.Diagnostics;
using System.Text.Json.Nodes;
using PartialLoRA.Benchmarks;
using PartialLoRA.Tests.Text;
using TorchSharp;

namespace PartialLoRA.Tests.Benchmarks;

/// <summary>
/// tools/bench (the GPU session's scripts) against a real CPU report of <c>bench finetune</c>: make_table.py reads
/// our JSON schema, re-derives our FLOP counts with the Python formula (flops.py, shared with peft_reference.py)
/// and computes the ratios in the documented direction; the reference script compiles; the runner parses.
/// The reference side is a SCHEMA FIXTURE built here from our own figures (ref = ours / 2 in speed, × 2 in memory),
/// not a measurement: it only checks that both schemas meet and which way the ratios point.
/// </summary>
public sealed class BenchToolsTests
{
    private static readonly string Tools = Path.Combine(TestData.RepoRoot, "tools", "bench");

    public static string? NoPython => Which("python3") == null ? "needs python3 on PATH (tools/bench is Python)" : null;

    private static readonly FinetuneOptions Tiny = new()
    {
        Preset = "clip-vit-lab-tiny", ImageSize = 16, Batch = 2, Classes = 10, Rank = 4, Warmup = 0, Windows = 1, StepsPerWindow = 1, Seed = 5,
    };

    private static readonly Lazy<string> OursJson = new(() =>
    {
        var state = TestSupport.Torch;
        var results = new[] { "lora", "partial-80-compact", "dora", "eval" }
            .Select(m => FinetuneBenchmark.Run(FinetuneMethod.Parse(m), Tiny, torch.CPU)).ToList();
        var report = new FinetuneReport(FinetuneReport.ToolName, DateTimeOffset.UtcNow, BenchEnvironment.Collect(state), Tiny, results, [], "0 0 0");
        var path = Path.Combine(TestSupport.TempDir("bench-tools"), "ours.json");
        report.Save(path);
        return path;
    });

    [RequiresFact(typeof(BenchToolsTests), nameof(NoPython))]
    public void Make_table_reads_our_report_and_checks_our_flops_against_the_python_formula()
    {
        var r = Python(Path.Combine(Tools, "make_table.py"), "--ours", OursJson.Value);
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Contains("| lora | ", r.Stdout);
        Assert.Contains("| partial-80-compact | ", r.Stdout);
        Assert.Contains("not measured: our LoRA ≥ 2× the reference img/s", r.Stdout);
        Assert.Contains("partial-80-compact ≥ our LoRA's img/s", r.Stdout);
        if (FinetuneReport.Load(OursJson.Value).Environment.Denormals is { } mode) Assert.Contains($"CPU threads (subnormals {mode}); ", r.Stdout);
        else Assert.DoesNotContain("subnormals", r.Stdout);
    }

    [RequiresFact(typeof(BenchToolsTests), nameof(NoPython))]
    public void Ratios_point_the_documented_way_against_a_reference_schema_fixture()
    {
        var dir = Path.GetDirectoryName(OursJson.Value)!;
        var reference = Path.Combine(dir, "reference-schema-fixture.json");
        File.WriteAllText(reference, ReferenceFixture(OursJson.Value, settingsChange: null));
        var r = Python(Path.Combine(Tools, "make_table.py"), "--ours", OursJson.Value, "--reference", reference);
        Assert.True(r.Exit == 0, r.Stderr);
        var lora = r.Stdout.Split('\n').Single(l => l.StartsWith("| lora |", StringComparison.Ordinal)).Split('|').Select(c => c.Trim()).ToArray();
        Assert.Equal("2.00×", lora[4]);   // speed: ours / reference
        Assert.Equal("2.00×", lora[10]);  // memory: reference / ours
        Assert.Contains("met: our LoRA ≥ 2× the reference img/s: 2.00×", r.Stdout);
        Assert.Contains("met: our DoRA ≥ 1.5× the reference: 2.00×", r.Stdout);
        Assert.Contains("met: peak memory ≤ the reference for every method (4 methods compared)", r.Stdout);
    }

    [RequiresFact(typeof(BenchToolsTests), nameof(NoPython))]
    public void Reports_from_different_settings_or_disagreeing_flops_are_refused()
    {
        var dir = Path.GetDirectoryName(OursJson.Value)!;
        var other = Path.Combine(dir, "reference-other-batch.json");
        File.WriteAllText(other, ReferenceFixture(OursJson.Value, settingsChange: o => o["batch"] = 3));
        var r = Python(Path.Combine(Tools, "make_table.py"), "--ours", OursJson.Value, "--reference", other);
        Assert.Equal(1, r.Exit);
        Assert.Contains("not run with the same settings: batch", r.Stderr);

        var ours = JsonNode.Parse(File.ReadAllText(OursJson.Value))!;
        ours["results"]![0]!["flops_per_step"] = ours["results"]![0]!["flops_per_step"]!.GetValue<double>() * 1.01;
        var wrong = Path.Combine(dir, "ours-wrong-flops.json");
        File.WriteAllText(wrong, ours.ToJsonString());
        r = Python(Path.Combine(Tools, "make_table.py"), "--ours", wrong);
        Assert.Equal(1, r.Exit);
        Assert.Contains("lora: ours counts", r.Stderr);
    }

    [RequiresFact(typeof(BenchToolsTests), nameof(NoPython))]
    public void The_reference_script_compiles_and_the_session_runner_parses()
    {
        var r = Python("-c", "import ast, sys; [ast.parse(open(f).read(), f) for f in sys.argv[1:]]",
            Path.Combine(Tools, "peft_reference.py"), Path.Combine(Tools, "flops.py"), Path.Combine(Tools, "make_table.py"));
        Assert.True(r.Exit == 0, r.Stderr);
        var b = Run("bash", "-n", Path.Combine(Tools, "run-gpu-session.sh"));
        Assert.True(b.Exit == 0, b.Stderr);
    }

    // peft_reference.py's JSON layout filled from our figures: speed halved, memory doubled.
    private static string ReferenceFixture(string oursPath, Action<JsonObject>? settingsChange)
    {
        var ours = JsonNode.Parse(File.ReadAllText(oursPath))!.AsObject();
        var options = ours["options"]!.DeepClone().AsObject();
        settingsChange?.Invoke(options);
        var results = new JsonArray();
        foreach (var node in ours["results"]!.AsArray())
        {
            var x = node!.DeepClone().AsObject();
            x["step_milliseconds"] = 2 * x["step_milliseconds"]!.GetValue<double>();
            x["images_per_second"] = x["images_per_second"]!.GetValue<double>() / 2;
            x["mfu"] = x["mfu"]!.GetValue<double>() / 2;
            var mem = x["memory"]!.AsObject();
            mem["above_baseline_bytes"] = 2 * mem["above_baseline_bytes"]!.GetValue<long>();
            x["dtype"] = "f32";
            x["emulation"] = null;
            x["torch_max_memory_allocated"] = null;
            x["torch_max_memory_reserved"] = null;
            results.Add(x);
        }
        var fixture = new JsonObject
        {
            ["schema_fixture"] = "built by BenchToolsTests from our own report; not a measurement",
            ["tool"] = "tools/bench/peft_reference.py",
            ["date"] = ours["date"]!.DeepClone(),
            ["environment"] = new JsonObject
            {
                ["python"] = "-", ["torch"] = "-", ["torch_cuda"] = null, ["cudnn"] = null, ["transformers"] = "-", ["peft"] = "-",
                ["device"] = "cpu", ["cpu_threads"] = 1, ["processors"] = 1, ["load_average_before"] = "-", ["os"] = "-",
            },
            ["options"] = options,
            ["results"] = results,
            ["failures"] = new JsonArray(),
            ["load_average_after"] = "-",
        };
        return fixture.ToJsonString();
    }

    private static (int Exit, string Stdout, string Stderr) Python(params string[] args) => Run("python3", args);

    private static (int Exit, string Stdout, string Stderr) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using var p = Process.Start(psi)!;
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 60 s");
        }
        return (p.ExitCode, so.Result, se.Result);
    }

    private static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
