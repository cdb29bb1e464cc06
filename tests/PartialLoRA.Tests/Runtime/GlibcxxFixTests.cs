using PartialLoRA.Build;
using PartialLoRA.Runtime;

namespace PartialLoRA.Tests.Runtime;

public class GlibcxxFixTests
{
    private static string OutputLibrary =>
        GlibcxxStatus.FindLibTorchSharp(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("libLibTorchSharp.so is not in the test output");

    [Fact]
    public void Build_output_copy_is_patched_exactly_when_the_system_needs_it()
    {
        var flags = ElfVersionNeeds.ReadFlags(OutputLibrary, ElfVersionNeeds.GlibcxxVersion);
        Assert.NotNull(flags);   // TorchSharp 0.107.0 does need GLIBCXX_3.4.32
        var weak = (flags!.Value & ElfVersionNeeds.VerFlgWeak) != 0;
        Assert.Equal(ElfVersionNeeds.SystemNeedsGlibcxxFix(), weak);
    }

    [Fact]
    public void Set_and_clear_the_weak_flag_on_a_copy()
    {
        var dir = TestSupport.TempDir("elf");
        var copy = Path.Combine(dir, "libLibTorchSharp.so");
        File.Copy(OutputLibrary, copy);
        var mode = File.GetUnixFileMode(copy);

        ElfVersionNeeds.SetWeak(copy, ElfVersionNeeds.GlibcxxVersion, false);
        Assert.Equal(0, ElfVersionNeeds.ReadFlags(copy, ElfVersionNeeds.GlibcxxVersion)!.Value & ElfVersionNeeds.VerFlgWeak);
        Assert.True(ElfVersionNeeds.MarkWeak(copy, ElfVersionNeeds.GlibcxxVersion));
        Assert.False(ElfVersionNeeds.MarkWeak(copy, ElfVersionNeeds.GlibcxxVersion));   // idempotent
        Assert.NotEqual(0, ElfVersionNeeds.ReadFlags(copy, ElfVersionNeeds.GlibcxxVersion)!.Value & ElfVersionNeeds.VerFlgWeak);

        // Only the two flag bytes differ from the original; mode kept; no temp file left behind.
        var a = File.ReadAllBytes(OutputLibrary);
        var b = File.ReadAllBytes(copy);
        Assert.Equal(a.Length, b.Length);
        Assert.True(a.Zip(b).Count(p => p.First != p.Second) <= 1);
        Assert.Equal(mode, File.GetUnixFileMode(copy));
        Assert.Single(Directory.GetFiles(dir));
        Assert.Null(ElfVersionNeeds.ReadFlags(copy, "GLIBCXX_9.9.9"));
    }

    [Fact]
    public void Non_elf_file_is_a_clear_error_naming_the_file()
    {
        var f = Path.Combine(TestSupport.TempDir("elf"), "not-elf.so");
        File.WriteAllText(f, new string('x', 100));
        var e = Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.ReadFlags(f, ElfVersionNeeds.GlibcxxVersion));
        Assert.Contains(f, e.Message);
        Assert.Contains("not an ELF file", e.Message);
    }

    [Fact]
    public void Cli_with_an_unpatched_library_explains_instead_of_crashing()
    {
        if (!ElfVersionNeeds.SystemNeedsGlibcxxFix()) return;   // nothing to break where libstdc++ is new enough
        // A copy of the CLI whose libLibTorchSharp.so has the strict GLIBCXX_3.4.32 need again; the large
        // libtorch files are symlinked.
        var src = AppContext.BaseDirectory;
        var dir = TestSupport.TempDir("unpatched-cli");
        foreach (var f in Directory.GetFiles(src)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        var nativeSrc = Path.Combine(src, "runtimes", "linux-x64", "native");
        var native = Directory.CreateDirectory(Path.Combine(dir, "runtimes", "linux-x64", "native")).FullName;
        foreach (var f in Directory.GetFiles(nativeSrc))
        {
            var to = Path.Combine(native, Path.GetFileName(f));
            if (Path.GetFileName(f) == "libLibTorchSharp.so") File.Copy(f, to);
            else File.CreateSymbolicLink(to, f);
        }
        var lib = Path.Combine(native, "libLibTorchSharp.so");
        ElfVersionNeeds.SetWeak(lib, ElfVersionNeeds.GlibcxxVersion, false);

        var r = TestSupport.RunCli(Path.Combine(dir, "partial-lora.dll"), ["info"]);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("error: ", r.Stderr);
        Assert.Contains("requires GLIBCXX_3.4.32", r.Stderr);
        Assert.Contains("rebuild", r.Stderr);
        Assert.DoesNotContain("TypeInitializationException", r.Stderr + r.Stdout);
        Directory.Delete(dir, recursive: true);
    }
}
