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
        Assert.Contains("OK", r.Stdout);
    }

    [Theory]
    [InlineData("PARTIALLORA_LIBTORCH", "/no/such/libtorch", "the folder does not exist")]
    [InlineData("PARTIALLORA_DEVICE", "tpu", "expected auto, cpu, cuda or cuda:N")]
    public void Bad_environment_gives_a_one_line_error(string name, string value, string expected)
    {
        var r = TestSupport.RunCli(TestSupport.CliDll, ["info"], new Dictionary<string, string?> { [name] = value });
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.Stderr);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("", r.Stdout);
    }
}
