using PartialLoRA.Runtime;

namespace PartialLoRA.Tests.Runtime;

public class RuntimeOptionsTests
{
    private static Func<string, string?> Env(params (string, string)[] vars) =>
        name => vars.FirstOrDefault(v => v.Item1 == name).Item2;

    [Fact]
    public void Environment_is_read_and_flags_override_it()
    {
        var o = RuntimeOptions.FromEnvironment(Env(("PARTIALLORA_DEVICE", "cuda:1"), ("PARTIALLORA_THREADS", "3")));
        Assert.Equal(new DeviceRequest(DeviceRequestKind.Cuda, 1), o.Device);
        Assert.Equal(3, o.Threads);
        var f = o.WithOverrides(device: "cpu", threads: 1);
        Assert.Equal(DeviceRequest.Cpu, f.Device);
        Assert.Equal(1, f.Threads);
        Assert.Equal(DeviceRequest.Auto, RuntimeOptions.FromEnvironment(Env()).Device);
    }

    [Fact]
    public void Denormals_default_to_flush_and_come_from_the_variable_then_the_flag()
    {
        Assert.Equal(DenormalMode.Flush, RuntimeOptions.FromEnvironment(Env()).Denormals);
        var o = RuntimeOptions.FromEnvironment(Env(("PARTIALLORA_DENORMALS", " Keep ")));
        Assert.Equal(DenormalMode.Keep, o.Denormals);
        Assert.Equal(DenormalMode.Flush, o.WithOverrides(denormals: "flush").Denormals);
        Assert.Equal(DenormalMode.Keep, o.WithOverrides(threads: 2).Denormals);
        var e = Assert.Throws<ArgumentException>(() => o.WithOverrides(denormals: "ftz"));
        Assert.Contains("--denormals='ftz'", e.Message);
        Assert.Contains("expected flush", e.Message);
    }

    [Theory]
    [InlineData("PARTIALLORA_DEVICE", "gpu", "expected auto, cpu, cuda or cuda:N")]
    [InlineData("PARTIALLORA_DEVICE", "cuda:x", "expected auto, cpu, cuda or cuda:N")]
    [InlineData("PARTIALLORA_THREADS", "0", "positive whole number")]
    [InlineData("PARTIALLORA_THREADS", "two", "positive whole number")]
    [InlineData("PARTIALLORA_DENORMALS", "off", "expected flush (subnormal floats become 0, faster on the CPU) or keep (IEEE)")]
    public void Bad_values_name_the_variable(string name, string value, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => RuntimeOptions.FromEnvironment(Env((name, value))));
        Assert.Contains($"{name}='{value}'", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void External_libtorch_folder_must_exist_and_hold_libtorch_cuda()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-libtorch-" + Guid.NewGuid());
        var e1 = Assert.Throws<TorchRuntimeException>(() => ExternalLibTorch.Validate(missing));
        Assert.Contains("does not exist", e1.Message);
        Assert.Contains(RuntimeOptions.LibTorchVariable, e1.Message);

        var dir = TestSupport.TempDir("libtorch");
        File.WriteAllText(Path.Combine(dir, "libc10.so"), "");
        var e2 = Assert.Throws<TorchRuntimeException>(() => ExternalLibTorch.Validate(dir));
        Assert.Contains("libtorch_cuda.so", e2.Message);
        Assert.DoesNotContain("libc10.so", e2.Message);
    }
}
