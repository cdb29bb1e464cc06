using PartialLoRA.Backbones;
using PartialLoRA.Sparsity;
using PartialLoRA.Tests.Backbones;
using PartialLoRA.Tests.Experiments;

namespace PartialLoRA.Tests.Sparsity;

public class BenchDeriveCommandTests
{
    [Fact]
    public void Derives_a_plan_for_the_stand_in_and_prints_figures()
    {
        var plan = Path.Combine(TestSupport.TempDir("bench"), "plan.json");
        var r = TestSupport.RunCli(TestSupport.CliDll,
            ["bench", "derive", "--device", "cpu", "--threads", "1", "--model", "lab-tiny", "--shots", "2", "--classes", "3", "--layers", "2",
             "--search", "galloping", "--out", plan]);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.StartsWith("STAND-IN: synthetic lab-tiny", r.Stdout);
        Assert.Contains("targets      2 matrices", r.Stdout);
        if (PartialLoRA.Runtime.Denormals.Supported) Assert.Contains("cpu, 1 CPU threads, subnormals flush", r.Stdout);
        Assert.Contains("N = 6 (2 shots × 3 classes)", r.Stdout);
        Assert.Matches(@"algorithm 1 +[0-9.]+ s: \d+ evaluations", r.Stdout);
        var loaded = SparsityPlan.Load(plan);
        Assert.Equal(["vision_model.encoder.layers.0.self_attn.q_proj", "vision_model.encoder.layers.0.self_attn.k_proj"], loaded.Layers.Select(l => l.Module));
        Assert.StartsWith("stand-in:lab-tiny", loaded.Provenance.Model);
        Assert.All(loaded.Layers, l => Assert.Equal(192, l.Rows));
    }

    [Fact]
    public void Derives_for_a_registry_preset_with_its_real_architecture()
    {
        var r = TestSupport.RunCli(TestSupport.CliDll,
            ["bench", "derive", "--device", "cpu", "--threads", "1", "--preset", "clip-vit-lab-tiny", "--shots", "1", "--classes", "2", "--layers", "1", "--json"]);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("\"model\": \"clip-vit-lab-tiny\"", r.Stdout);
        Assert.Contains("\"stand_in\": false", r.Stdout);
        Assert.Contains("\"targets\": 1", r.Stdout);
        Assert.Contains(PartialLoRA.Runtime.Denormals.Supported ? "\"denormals\": \"flush\"" : "\"denormals\": null", r.Stdout);
    }

    [Fact]
    public void Derives_for_the_pretrained_lab_backbone_on_a_real_few_shot_task()
    {
        _ = TestSupport.Torch;
        var backbones = LabBackboneModelTests.VisionRoot("bench-lab-backbones");
        var data = BackboneFixtures.TinyCifar(TestSupport.TempDir("bench-lab-data"), perClass: 4);
        var r = TestSupport.RunCli(TestSupport.CliDll,
            ["bench", "derive", "--device", "cpu", "--threads", "1", "--model", "lab-vision", "--data", data, "--shots", "2", "--layers", "2", "--json"],
            new Dictionary<string, string?> { [LabBackbones.FolderVariable] = backbones });
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("\"model\": \"lab-vision\"", r.Stdout);
        Assert.Contains("\"stand_in\": false", r.Stdout);
        Assert.Contains("\"task\": \"cifar10\"", r.Stdout);
        Assert.Contains("\"samples\": 20", r.Stdout); // 2 shots × CIFAR-10's 10 classes
        Assert.Contains("\"targets\": 2", r.Stdout);
    }

    [Theory]
    [InlineData("--layers", "999", "--layers 999: expected 1…36")]
    [InlineData("--preset", "deberta-v3-lab-tiny", "expected a CLIP preset")]
    [InlineData("--threshold", "1.5", "threshold τ must be in (0, 1]")]
    [InlineData("--dataset", "fer2013", "--dataset applies to --model lab-vision only")]
    public void Bad_options_give_a_one_line_error(string option, string value, string expected)
    {
        var r = TestSupport.RunCli(TestSupport.CliDll, ["bench", "derive", "--device", "cpu", "--shots", "1", "--classes", "2", option, value]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.Stderr);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_text_dataset_for_the_lab_vision_backbone_is_a_one_line_error()
    {
        var r = TestSupport.RunCli(TestSupport.CliDll, ["bench", "derive", "--device", "cpu", "--model", "lab-vision", "--dataset", "sst2"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--dataset sst2: --model lab-vision needs an image task; sst2 holds text", r.Stderr);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
