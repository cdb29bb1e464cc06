namespace PartialLoRA.Tests.Runtime;

public class InfoCommandTests
{
    [Fact]
    public void Info_check_reports_cpu_backend_and_passes()
    {
        var r = TestSupport.RunCli(TestSupport.CliDll, ["info", "--check", "--device", "cpu", "--threads", "1"]);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("backend      cpu (TorchSharp-cpu)", r.Stdout);
        Assert.Contains("cpu threads  1", r.Stdout);
        Assert.Contains("denormals    flush (FTZ + DAZ", r.Stdout);
        Assert.Contains("OK", r.Stdout);
    }

    [Fact]
    public void Denormals_flag_overrides_the_variable()
    {
        var env = new Dictionary<string, string?> { ["PARTIALLORA_DENORMALS"] = "flush" };
        var keep = TestSupport.RunCli(TestSupport.CliDll, ["info", "--denormals", "keep", "--device", "cpu"], env);
        Assert.True(keep.ExitCode == 0, keep.Stderr + keep.Stdout);
        Assert.Contains("denormals    keep (IEEE", keep.Stdout);
    }

    [Theory]
    [InlineData("PARTIALLORA_LIBTORCH", "/no/such/libtorch", "the folder does not exist")]
    [InlineData("PARTIALLORA_DEVICE", "tpu", "expected auto, cpu, cuda or cuda:N")]
    [InlineData("PARTIALLORA_DENORMALS", "ieee", "PARTIALLORA_DENORMALS='ieee': expected flush")]
    public void Bad_environment_gives_a_one_line_error(string name, string value, string expected)
    {
        var r = TestSupport.RunCli(TestSupport.CliDll, ["info"], new Dictionary<string, string?> { [name] = value });
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.Stderr);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("", r.Stdout);
    }
}
