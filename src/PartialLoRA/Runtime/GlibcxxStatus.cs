using PartialLoRA.Build;

namespace PartialLoRA.Runtime;

public enum GlibcxxFixState
{
    /// <summary>The system libstdc++ has GLIBCXX_3.4.32: no fix needed.</summary>
    NotNeeded,
    /// <summary>The need for GLIBCXX_3.4.32 is marked weak in the loaded libLibTorchSharp.so.</summary>
    Applied,
    /// <summary>The fix is needed but the library still requires GLIBCXX_3.4.32 strictly: it will not load.</summary>
    Missing,
    /// <summary>No libLibTorchSharp.so was found beside the application (e.g. not on Linux).</summary>
    LibraryNotFound,
}

/// <summary>The state of the GLIBCXX_3.4.32 build fix (see build/GlibcxxFix.targets) for this process.</summary>
public sealed record GlibcxxStatus(GlibcxxFixState State, string? LibraryPath, string? SystemLibStdCxx)
{
    public static GlibcxxStatus Detect(string? baseDirectory = null)
    {
        var sys = ElfVersionNeeds.FindSystemLibStdCxx();
        var lib = FindLibTorchSharp(baseDirectory ?? AppContext.BaseDirectory);
        if (!ElfVersionNeeds.SystemNeedsGlibcxxFix()) return new(GlibcxxFixState.NotNeeded, lib, sys);
        if (lib == null) return new(GlibcxxFixState.LibraryNotFound, null, sys);
        var flags = ElfVersionNeeds.ReadFlags(lib, ElfVersionNeeds.GlibcxxVersion);
        var applied = flags == null || (flags.Value & ElfVersionNeeds.VerFlgWeak) != 0;
        return new(applied ? GlibcxxFixState.Applied : GlibcxxFixState.Missing, lib, sys);
    }

    /// <summary>Where TorchSharp loads it from: the RID folder of a build output, or the root of a RID-specific publish.</summary>
    public static string? FindLibTorchSharp(string baseDirectory)
    {
        foreach (var p in new[]
                 {
                     Path.Combine(baseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"),
                     Path.Combine(baseDirectory, "libLibTorchSharp.so"),
                 })
            if (File.Exists(p)) return p;
        return null;
    }

    public string Describe() => State switch
    {
        GlibcxxFixState.NotNeeded => $"not needed (system libstdc++ has {ElfVersionNeeds.GlibcxxVersion})",
        GlibcxxFixState.Applied => $"applied ({ElfVersionNeeds.GlibcxxVersion} marked weak in {LibraryPath})",
        GlibcxxFixState.Missing => $"MISSING: {LibraryPath} requires {ElfVersionNeeds.GlibcxxVersion}, which {SystemLibStdCxx ?? "the system libstdc++"} lacks",
        _ => "libLibTorchSharp.so not found beside the application",
    };
}
