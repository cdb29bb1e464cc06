using System.CommandLine;
using System.Text.Json;
using PartialLoRA.Runtime;

namespace PartialLoRA.Cli.Commands;

/// <summary><c>partial-lora info</c>: versions, backend, device, CUDA devices, threads, GLIBCXX fix; <c>--check</c> runs a short real computation.</summary>
public static class InfoCommand
{
    public static Command Create()
    {
        var check = new Option<bool>("--check")
        {
            Description = "Also run a sanity check: fit a small model with AdamW (forward, backward, step); on CUDA a bf16 matmul vs f32.",
        };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text." };
        var cmd = new Command("info", "Show the Torch runtime: versions, backend, device, CUDA devices, threads, GLIBCXX fix.");
        cmd.Options.Add(check);
        cmd.Options.Add(json);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            var state = CliApp.StartRuntime(parse);
            var report = RuntimeReport.Collect(state);
            var sanity = parse.GetValue(check) ? SanityCheck.Run(state.Device) : null;
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { runtime = report, sanity },
                    new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
                return sanity == null || sanity.FinalLoss < sanity.InitialLoss ? 0 : 1;
            }
            foreach (var (k, v) in report.Lines()) Console.WriteLine($"{k,-12} {v}");
            if (sanity == null) return 0;
            Console.WriteLine($"{"check",-12} AdamW fit on {sanity.Device}: loss {sanity.InitialLoss:G4} -> {sanity.FinalLoss:G4} in {sanity.Steps} steps, {sanity.Milliseconds:F0} ms");
            if (sanity.Bf16MatmulTflops is { } tf)
                Console.WriteLine($"{"",-12} bf16 matmul 8192^3: {tf:F0} TFLOP/s, relative error vs f32 {sanity.Bf16MatmulRelativeError:E2}");
            var ok = sanity.FinalLoss < 0.01 * sanity.InitialLoss;
            Console.WriteLine($"{"",-12} {(ok ? "OK" : "FAILED: the loss did not fall by 100x")}");
            return ok ? 0 : 1;
        }));
        return cmd;
    }
}
