using PartialLoRA.Runtime;
using TorchSharp;

namespace PartialLoRA.Tests.Runtime;

public class DenormalsTests
{
    // 1e-39 is subnormal in f32 (the smallest normal is 1.18e-38).
    private static float TimesOne(float x)
    {
        using var t = torch.tensor(new[] { x });
        using var y = t * 1.0f;
        return y.item<float>();
    }

    [Fact]
    public void Flush_zeroes_subnormal_floats_on_this_thread_and_keep_restores_IEEE()
    {
        _ = TorchRuntime.Current;
        Assert.True(Denormals.Supported, "this Linux x86-64 machine should support FTZ/DAZ through glibc's fesetenv");
        var before = Denormals.Current()!.Value;
        try
        {
            Assert.Equal(DenormalMode.Keep, Denormals.Apply(DenormalMode.Keep));
            Assert.Equal(1e-39f, TimesOne(1e-39f));
            Assert.Equal(1e-3f, TimesOne(1e-3f));

            Assert.Equal(DenormalMode.Flush, Denormals.Apply(DenormalMode.Flush));
            Assert.Equal(DenormalMode.Flush, Denormals.Current());
            Assert.Equal(0f, TimesOne(1e-39f));
            Assert.Equal(1e-3f, TimesOne(1e-3f));
        }
        finally
        {
            Denormals.Apply(before);
        }
    }

    [Fact]
    public void A_thread_started_afterwards_inherits_the_mode_of_the_thread_that_starts_it()
    {
        var before = Denormals.Current()!.Value;
        try
        {
            foreach (var mode in new[] { DenormalMode.Flush, DenormalMode.Keep })
            {
                Denormals.Apply(mode);
                DenormalMode? seen = null;
                var t = new Thread(() => seen = Denormals.Current());
                t.Start();
                t.Join();
                Assert.Equal(mode, seen);
            }
        }
        finally
        {
            Denormals.Apply(before);
        }
    }

    [Theory]
    [InlineData("flush", DenormalMode.Flush)]
    [InlineData(" KEEP", DenormalMode.Keep)]
    public void Parse_reads_flush_and_keep(string text, DenormalMode expected) =>
        Assert.Equal(expected, Denormals.Parse(text, "--denormals"));

    [Fact]
    public void The_info_line_says_what_each_mode_means()
    {
        Assert.Contains("FTZ + DAZ", Denormals.Describe(DenormalMode.Flush));
        Assert.Contains("IEEE", Denormals.Describe(DenormalMode.Keep));
        Assert.Contains("unsupported", Denormals.Describe(null));
    }
}
