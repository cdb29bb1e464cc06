using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using PartialLoRA.Benchmarks;
using PartialLoRA.Models.Clip;
using PartialLoRA.Runtime;
using static TorchSharp.torch;

namespace PartialLoRA.Cli.Commands;

/// <summary>
/// <c>partial-lora bench finetune</c>: images/s, step time, peak memory, trainable parameters, optimizer state and
/// MFU of fine-tuning the CLIP vision tower with each method (see <see cref="FinetuneBenchmark"/>).
/// </summary>
public static class BenchFinetuneCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = "CLIP preset of the model registry (seeded random weights).", DefaultValueFactory = _ => "clip-vit-b16" };
        var image = new Option<int?>("--image") { Description = "Image side in pixels (default: the preset's, 224 for clip-vit-b16)." };
        var batch = new Option<int>("--batch") { Description = "Images per step.", DefaultValueFactory = _ => 64 };
        var rank = new Option<int>("--rank") { Description = "Adapter rank (AdaLoRA: initial rank; its target is half).", DefaultValueFactory = _ => 16 };
        var classes = new Option<int>("--classes") { Description = "Classes of the linear head.", DefaultValueFactory = _ => 100 };
        var methods = new Option<string>("--methods")
        {
            Description = "Comma-separated: lora, partial-<S>-compact, partial-<S>-dense (S = sparsity %), dora, vera, adalora, full, eval.",
            DefaultValueFactory = _ => string.Join(",", FinetuneMethod.DefaultNames),
        };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps first.", DefaultValueFactory = _ => 10 };
        var windows = new Option<int>("--windows") { Description = "Timed windows (the device is synchronised at the end of each).", DefaultValueFactory = _ => 5 };
        var steps = new Option<int>("--steps") { Description = "Steps per timed window.", DefaultValueFactory = _ => 10 };
        var dtype = new Option<string>("--dtype") { Description = "auto (bf16 on CUDA, f32 on CPU), f32 or bf16.", DefaultValueFactory = _ => "auto" };
        dtype.AcceptOnlyFromAmong("auto", "f32", "bf16");
        var attention = new Option<string>("--attention") { Description = "sdpa (fused kernel) or eager.", DefaultValueFactory = _ => "sdpa" };
        attention.AcceptOnlyFromAmong("sdpa", "eager");
        var lr = new Option<double>("--lr") { Description = "AdamW learning rate.", DefaultValueFactory = _ => 1e-4 };
        var seed = new Option<long>("--seed") { Description = "Seed of weights, adapters, masks and data.", DefaultValueFactory = _ => 0 };
        var peak = new Option<double>("--peak-tflops") { Description = "Peak TFLOP/s for MFU.", DefaultValueFactory = _ => 790 };
        var isolate = new Option<string>("--isolate")
        {
            Description = "Run each method in its own process (auto: when the device is not the CPU and several methods run), " +
                          "so that every method's peak GPU memory is its own.",
            DefaultValueFactory = _ => "auto",
        };
        isolate.AcceptOnlyFromAmong("auto", "on", "off");
        var output = new Option<string?>("--out") { Description = "Write the JSON report here (atomically)." };
        var json = new Option<bool>("--json") { Description = "Print the JSON report instead of the table." };

        var cmd = new Command("finetune",
            "Fine-tuning throughput of the CLIP vision tower + a linear head per method: step time, images/s, peak memory, " +
            "trainable parameters, optimizer state, model FLOPs and MFU. Random weights and data (speed does not depend on them).");
        foreach (var o in new Option[] { preset, image, batch, rank, classes, methods, warmup, windows, steps, dtype, attention, lr, seed, peak, isolate, output, json })
            cmd.Options.Add(o);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            var options = new FinetuneOptions
            {
                Preset = parse.GetValue(preset)!,
                ImageSize = parse.GetValue(image),
                Batch = parse.GetValue(batch),
                Rank = parse.GetValue(rank),
                Classes = parse.GetValue(classes),
                Warmup = parse.GetValue(warmup),
                Windows = parse.GetValue(windows),
                StepsPerWindow = parse.GetValue(steps),
                Dtype = parse.GetValue(dtype) switch { "f32" => ScalarType.Float32, "bf16" => ScalarType.BFloat16, _ => null },
                Attention = parse.GetValue(attention) == "eager" ? AttentionImplementation.Eager : AttentionImplementation.Sdpa,
                LearningRate = parse.GetValue(lr),
                Seed = parse.GetValue(seed),
                PeakTflops = parse.GetValue(peak),
            };
            options.Validate();
            var list = FinetuneMethod.ParseList(parse.GetValue(methods)!);
            var request = RuntimeOptions.FromEnvironment()
                .WithOverrides(device: parse.GetValue(CliApp.DeviceOption), threads: parse.GetValue(CliApp.ThreadsOption)).Device;
            var separate = parse.GetValue(isolate) switch
            {
                "on" => true,
                "off" => false,
                _ => list.Count > 1 && request.Kind != DeviceRequestKind.Cpu,
            };
            var report = separate ? RunIsolated(parse, list, options) : RunHere(parse, list, options);
            if (parse.GetValue(output) is { } path) report.Save(path);
            Console.WriteLine(parse.GetValue(json) ? report.ToJson() : report.Table());
            return report.Failures.Count == 0 ? 0 : 1;
        }));
        return cmd;
    }

    private static FinetuneReport RunHere(ParseResult parse, IReadOnlyList<FinetuneMethod> methods, FinetuneOptions options)
    {
        var state = CliApp.StartRuntime(parse);
        var environment = BenchEnvironment.Collect(state);
        var results = new List<FinetuneResult>();
        var failures = new List<FinetuneFailure>();
        foreach (var m in methods)
        {
            try
            {
                results.Add(FinetuneBenchmark.Run(m, options, state.Device));
            }
            catch (Exception e) when (methods.Count > 1)
            {
                failures.Add(new FinetuneFailure(m.Name, e.Message.ReplaceLineEndings(" ")));
            }
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        return new FinetuneReport(FinetuneReport.ToolName, DateTimeOffset.UtcNow, environment, options, results, failures, Data.DataBenchmark.LoadAverage());
    }

    // One child process per method (same executable, same options, --isolate off): libtorch's caching allocator
    // never hands memory back, so only a fresh process measures a method's own peak.
    private static FinetuneReport RunIsolated(ParseResult parse, IReadOnlyList<FinetuneMethod> methods, FinetuneOptions options)
    {
        var results = new List<FinetuneResult>();
        var failures = new List<FinetuneFailure>();
        BenchEnvironment? environment = null;
        var dir = Path.Combine(Path.GetTempPath(), "partiallora-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            foreach (var m in methods)
            {
                var file = Path.Combine(dir, m.Name + ".json");
                var (exit, stderr) = RunChild(ChildArguments(parse, m, file));
                if (exit == 0 && File.Exists(file))
                {
                    var child = FinetuneReport.Load(file);
                    environment ??= child.Environment;
                    results.AddRange(child.Results);
                    failures.AddRange(child.Failures);
                }
                else
                {
                    var line = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith("error:", StringComparison.Ordinal))
                               ?? $"exit code {exit}";
                    failures.Add(new FinetuneFailure(m.Name, line.StartsWith("error: ", StringComparison.Ordinal) ? line[7..] : line));
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        if (environment == null) throw new InvalidOperationException($"every method failed: {string.Join("; ", failures.Select(f => $"{f.Method}: {f.Error}"))}");
        return new FinetuneReport(FinetuneReport.ToolName, DateTimeOffset.UtcNow, environment, options, results, failures, Data.DataBenchmark.LoadAverage());
    }

    private static List<string> ChildArguments(ParseResult parse, FinetuneMethod method, string file)
    {
        var args = new List<string> { "bench", "finetune", "--methods", method.Name, "--isolate", "off", "--out", file };
        foreach (var o in parse.CommandResult.Command.Options)
        {
            if (o.Name is "--methods" or "--isolate" or "--out" or "--json" || parse.GetResult(o) is not { Implicit: false } r) continue;
            args.Add(o.Name);
            args.AddRange(r.Tokens.Select(t => t.Value));
        }
        foreach (var global in new Option[] { CliApp.DeviceOption, CliApp.ThreadsOption, CliApp.DenormalsOption })
            if (parse.GetResult(global) is { Implicit: false } r)
            {
                args.Add(global.Name);
                args.AddRange(r.Tokens.Select(t => t.Value));
            }
        return args;
    }

    private static (int Exit, string Stderr) RunChild(IReadOnlyList<string> args)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this process's executable to start a child");
        var psi = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") psi.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        Console.Error.Write(stderr.Result);
        return (p.ExitCode, stderr.Result);
    }
}
