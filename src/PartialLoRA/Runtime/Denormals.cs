using System.Runtime.InteropServices;

namespace PartialLoRA.Runtime;

/// <summary>What the CPU does with subnormal floats (|x| &lt; 1.18e-38 in f32): flush them to zero, or keep them (IEEE).</summary>
public enum DenormalMode
{
    /// <summary>FTZ + DAZ: subnormal results become 0 and subnormal inputs read as 0 (PyTorch's <c>torch.set_flush_denormal(True)</c>).</summary>
    Flush,
    /// <summary>IEEE gradual underflow, the hardware default.</summary>
    Keep,
}

/// <summary>
/// Flush-to-zero / denormals-are-zero on x86-64, which TorchSharp does not expose (PyTorch: <c>torch.set_flush_denormal</c>).
/// Why it matters here: the lab backbones' class-mean head scales cosine logits by 100, so most softmax probabilities of
/// a few-shot batch are subnormal; the cross-entropy gradient and every backward GEMM after it then run on subnormal
/// floats, which x86 CPUs handle in microcode. Measured on the 2-core Xeon (2026-11-24): the backward pass of a LoRA
/// step of the lab ViT (batch 16) took 980 ms with subnormals kept and 34 ms flushed, with the same loss to 6 digits.
/// The flags live in each thread's MXCSR register and a new thread copies them from the thread that creates it —
/// libgomp's workers included — so they must be set before the threads doing the work exist: the CLI sets them on its
/// main thread before running a command, and <see cref="TorchRuntime.Initialize"/> on the thread that starts Torch.
/// Set through glibc's <c>fegetenv</c>/<c>fesetenv</c>, whose <c>fenv_t</c> carries MXCSR at byte 28 on x86-64.
/// </summary>
public static class Denormals
{
    /// <summary>MXCSR bits: DAZ (inputs) and FTZ (results).</summary>
    public const uint DenormalsAreZero = 0x0040, FlushToZero = 0x8000;

    private const int FenvSize = 32, MxcsrOffset = 28;

    /// <summary>Whether this process can set the flags (Linux with glibc on x86-64).</summary>
    public static bool Supported { get; } = RuntimeInformation.IsOSPlatform(OSPlatform.Linux)
                                          && RuntimeInformation.ProcessArchitecture == Architecture.X64 && Probe();

    public static DenormalMode Parse(string text, string source) => text.Trim().ToLowerInvariant() switch
    {
        "flush" => DenormalMode.Flush,
        "keep" => DenormalMode.Keep,
        _ => throw new ArgumentException($"{source}='{text}': expected flush (subnormal floats become 0, faster on the CPU) or keep (IEEE)"),
    };

    public static string Name(DenormalMode mode) => mode == DenormalMode.Flush ? "flush" : "keep";

    /// <summary>The mode's name; null where the mode cannot be set (<see cref="Apply"/> returned null).</summary>
    public static string? Name(DenormalMode? mode) => mode is { } m ? Name(m) : null;

    /// <summary>
    /// Sets (<see cref="DenormalMode.Flush"/>) or clears (<see cref="DenormalMode.Keep"/>) FTZ and DAZ on the calling
    /// thread and returns the mode now in force there; null where unsupported (nothing is changed).
    /// </summary>
    public static DenormalMode? Apply(DenormalMode mode)
    {
        if (!Supported) return null;
        var env = FloatEnvironment();
        var csr = BitConverter.ToUInt32(env, MxcsrOffset);
        csr = mode == DenormalMode.Flush ? csr | DenormalsAreZero | FlushToZero : csr & ~(DenormalsAreZero | FlushToZero);
        BitConverter.TryWriteBytes(env.AsSpan(MxcsrOffset), csr);
        Check(fesetenv(env), "fesetenv");
        var now = Current();
        if (now != mode) throw new InvalidOperationException($"could not set the CPU's denormal mode to {Name(mode)} (MXCSR reads back {Mxcsr():x4})");
        return now;
    }

    /// <summary>The calling thread's mode (both bits set: flush; neither: keep); null where unsupported.</summary>
    public static DenormalMode? Current()
    {
        if (!Supported) return null;
        var csr = Mxcsr();
        return (csr & (DenormalsAreZero | FlushToZero)) == (DenormalsAreZero | FlushToZero) ? DenormalMode.Flush : DenormalMode.Keep;
    }

    /// <summary>The <c>info</c> line for a mode read on the main thread.</summary>
    public static string Describe(DenormalMode? mode) => mode switch
    {
        DenormalMode.Flush => $"flush (FTZ + DAZ: subnormal floats are 0 on the CPU; {RuntimeOptions.DenormalsVariable}=keep for IEEE)",
        DenormalMode.Keep => "keep (IEEE subnormals; CPU backward passes can be many times slower)",
        _ => $"unsupported here ({RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}): the CPU's default",
    };

    private static uint Mxcsr() => BitConverter.ToUInt32(FloatEnvironment(), MxcsrOffset);

    /// <summary>The calling thread's floating-point environment (glibc's <c>fenv_t</c>).</summary>
    private static byte[] FloatEnvironment()
    {
        var env = new byte[FenvSize];
        Check(fegetenv(env), "fegetenv");
        return env;
    }

    private static bool Probe()
    {
        try
        {
            return fegetenv(new byte[FenvSize]) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static void Check(int rc, string call)
    {
        if (rc != 0) throw new InvalidOperationException($"{call} failed ({rc})");
    }

    [DllImport("libm.so.6")]
    private static extern int fegetenv([Out] byte[] env);

    [DllImport("libm.so.6")]
    private static extern int fesetenv(byte[] env);
}
