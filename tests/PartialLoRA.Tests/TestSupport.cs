using System.Diagnostics;
using PartialLoRA.Runtime;

namespace PartialLoRA.Tests;

/// <summary>Shared helpers: Torch started once on CPU, temp folders, running the CLI as a child process.</summary>
public static class TestSupport
{
    private static readonly Lazy<TorchRuntimeState> Runtime = new(() =>
        TorchRuntime.Initialize(new RuntimeOptions { Device = DeviceRequest.Cpu }));

    /// <summary>Starts Torch on the CPU (tests never depend on a GPU).</summary>
    public static TorchRuntimeState Torch => Runtime.Value;

    /// <summary>
    /// N(0, 1) draws of <paramref name="shape"/> from a generator seeded with <paramref name="seed"/>. The generator is
    /// disposed after the draw: TorchSharp passes its native handle without keeping the wrapper alive, so an inline
    /// <c>new Generator(seed)</c> can be finalized, and its native object freed, while libtorch still uses it.
    /// </summary>
    public static TorchSharp.torch.Tensor Randn(ulong seed, params long[] shape)
    {
        using var g = new TorchSharp.torch.Generator(seed);
        return TorchSharp.torch.randn(shape, generator: g);
    }

    public static string TempDir(string name)
    {
        var d = Path.Combine(Path.GetTempPath(), "partiallora-tests", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>The CLI built into the test output folder (the test project references it).</summary>
    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "partial-lora.dll");

    public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);

    public static ProcessResult RunCli(string dll, IEnumerable<string> args, IDictionary<string, string?>? env = null, int timeoutMs = 120_000)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env != null)
            foreach (var (k, v) in env)
                if (v == null) psi.Environment.Remove(k); else psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"partial-lora {string.Join(' ', args)} did not finish in {timeoutMs} ms");
        }
        return new ProcessResult(p.ExitCode, so.Result, se.Result);
    }
}
