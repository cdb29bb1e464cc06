using PartialLoRA.Runtime;
using TorchSharp;

namespace PartialLoRA.Tests.Runtime;

public class CpuBf16Tests
{
    private const string Avx2Epyc = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx fma avx2 bmi2\n\nprocessor\t: 1\nflags\t\t: fpu avx2\n";
    private const string Zen4 = "processor\t: 0\nflags\t\t: avx2 avx512f avx512dq avx512bw avx512vl avx512_bf16\n";

    [Fact]
    public void Avx512_core_is_native_and_avx2_alone_is_not()
    {
        Assert.True(CpuBf16.FromCpuInfo(Zen4));
        Assert.False(CpuBf16.FromCpuInfo(Avx2Epyc));
        Assert.True(CpuBf16.FromCpuInfo("flags\t: avx2 avx_ne_convert\n"));
        // avx512f without bw/vl/dq is not AVX-512 core
        Assert.False(CpuBf16.FromCpuInfo("flags\t: avx2 avx512f\n"));
        Assert.Null(CpuBf16.FromCpuInfo("processor\t: 0\n"));
    }

    [Fact]
    public void Warns_only_for_bf16_on_a_cpu_known_to_lack_it()
    {
        var cpu = new torch.Device(DeviceType.CPU);
        var warning = CpuBf16.Warning(cpu, bf16: true, native: false);
        Assert.NotNull(warning);
        Assert.Contains("--precision f32", warning);
        Assert.Null(CpuBf16.Warning(cpu, bf16: false, native: false));
        Assert.Null(CpuBf16.Warning(cpu, bf16: true, native: true));
        Assert.Null(CpuBf16.Warning(cpu, bf16: true, native: null));
        Assert.Null(CpuBf16.Warning(new torch.Device(DeviceType.CUDA), bf16: true, native: false));
    }
}
