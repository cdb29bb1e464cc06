using PartialLoRA.Adapters;
using PartialLoRA.Benchmarks;
using PartialLoRA.Models;
using PartialLoRA.Models.Clip;
using TorchSharp;

namespace PartialLoRA.Tests.Benchmarks;

/// <summary><c>bench finetune</c> at a tiny size on the CPU: every method runs, and the figures are the right ones.</summary>
public sealed class FinetuneBenchmarkTests
{
    // clip-vit-lab-tiny (width 192, MLP 768, 6 layers, projection 128) at 16 px: 17 tokens.
    private static readonly FinetuneOptions Tiny = new()
    {
        Preset = "clip-vit-lab-tiny", ImageSize = 16, Batch = 2, Classes = 10, Rank = 4, Warmup = 1, Windows = 2, StepsPerWindow = 1, Seed = 3,
    };

    // For figures that do not depend on timing: one step.
    private static readonly FinetuneOptions OneStep = Tiny with { Warmup = 0, Windows = 1 };

    private const long Head = 128 * 10 + 10;
    private const long LoraPerLayer = 4 * (4 * (192 + 192)) + 2 * (4 * (192 + 768));
    private const long Lora = 6 * LoraPerLayer + Head;

    private static FinetuneResult Run(string method, FinetuneOptions? options = null) =>
        FinetuneBenchmark.Run(FinetuneMethod.Parse(method), options ?? OneStep, torch.CPU);

    [Theory]
    [InlineData("lora")]
    [InlineData("partial-60-compact")]
    [InlineData("partial-60-dense")]
    [InlineData("dora")]
    [InlineData("vera")]
    [InlineData("adalora")]
    [InlineData("full")]
    [InlineData("eval")]
    public void Every_method_runs_and_reports_consistent_figures(string method)
    {
        _ = TestSupport.Torch;
        var r = Run(method, Tiny);
        Assert.Equal(method, r.Method);
        Assert.Equal("f32", r.Dtype);
        Assert.Equal("sdpa", r.Attention);
        Assert.Equal(16, r.ImageSize);
        Assert.Equal(2, r.WindowMilliseconds.Count);
        Assert.True(r.StepMilliseconds > 0);
        Assert.Equal(Tiny.Batch / (r.StepMilliseconds / 1000), r.ImagesPerSecond, 6);
        Assert.Equal("cpu-peak-rss", r.Memory.Kind);
        Assert.True(r.Memory.PeakBytes > 10 << 20, $"peak RSS {r.Memory.PeakBytes} bytes is implausibly small");
        Assert.Equal(8 * r.StoredTrainableElements, r.OptimizerStateBytes);
        Assert.Equal(0, r.MasterWeightBytes);
        Assert.Equal(r.FlopsPerStep / (r.StepMilliseconds / 1000) / 790e12, r.Mfu, 12);
        if (method == "eval") Assert.Null(r.FinalLoss);
        else Assert.True(r.FinalLoss is { } l && double.IsFinite(l) && l > 0);
    }

    [Fact]
    public void Trainable_parameters_and_optimizer_state_are_what_each_method_trains()
    {
        _ = TestSupport.Torch;
        var lora = Run("lora");
        Assert.Equal(Lora, lora.TrainableParameters);
        Assert.Equal(Lora, lora.StoredTrainableElements);

        var compact = Run("partial-60-compact");
        var dense = Run("partial-60-dense");
        // Same masks (same seed): the same entries are trained; only compact storage shrinks the optimizer state.
        Assert.Equal(compact.TrainableParameters, dense.TrainableParameters);
        Assert.Equal(Lora, dense.StoredTrainableElements);
        Assert.Equal(compact.TrainableParameters, compact.StoredTrainableElements);
        // p_row = p_col = 0.4 keeps ≈ 40 % of the adapter entries (Bernoulli masks).
        var kept = (double)(compact.TrainableParameters - Head) / (Lora - Head);
        Assert.InRange(kept, 0.3, 0.5);

        var full = Run("full");
        using (var model = new ClipVisionClassifier(Tiny.Vision().Vision, 128, ModelRegistry.DefaultLabels(10)))
            Assert.Equal(model.parameters().Sum(p => p.numel()), full.TrainableParameters);
        Assert.Equal(0, Run("eval").TrainableParameters);
    }

    [Fact]
    public void Same_seed_same_loss()
    {
        _ = TestSupport.Torch;
        // Two steps: the loss read is the second one, after an update.
        var twoSteps = Tiny with { Warmup = 1, Windows = 1 };
        var first = Run("partial-60-compact", twoSteps).FinalLoss;
        Assert.Equal(first, Run("partial-60-compact", twoSteps).FinalLoss);
        Assert.NotEqual(first, Run("partial-60-compact", twoSteps with { Seed = 4 }).FinalLoss);
    }

    [Fact]
    public void Flops_per_step_are_the_analytic_count()
    {
        _ = TestSupport.Torch;
        var (vision, projection) = Tiny.Vision();
        var flops = new FinetuneFlops(vision, projection, Tiny.Classes);
        var adapters = Enumerable.Range(0, 6).SelectMany(_ => new[]
        {
            new AdaptedLinear(192, 192, 4), new AdaptedLinear(192, 192, 4), new AdaptedLinear(192, 192, 4),
            new AdaptedLinear(192, 192, 4), new AdaptedLinear(192, 768, 4), new AdaptedLinear(768, 192, 4),
        }).ToList();
        Assert.Equal(flops.PerStep(StepKind.Adapters, 2, adapters), Run("lora").FlopsPerStep, 6);
        Assert.Equal(flops.PerStep(StepKind.Full, 2), Run("full").FlopsPerStep, 6);
    }

    [Fact]
    public void Partial_plan_keeps_the_asked_fraction_of_rows_and_columns_of_every_target()
    {
        _ = TestSupport.Torch;
        using var model = new ClipVisionClassifier(Tiny.Vision().Vision, 128, ModelRegistry.DefaultLabels(10));
        var plan = FinetuneBenchmark.UniformPlan(model, TargetModules.Of([.. FinetuneOptions.Targets]), 0.2);
        Assert.Equal(36, plan.Count);
        var fc1 = plan["vision_model.encoder.layers.5.mlp.fc1"];
        Assert.Equal((768, 192, 154, 38), (fc1.Rows, fc1.Cols, fc1.KeptRows, fc1.KeptCols));
        Assert.DoesNotContain(plan.Keys, k => k.Contains("visual_projection") || k.Contains("classifier"));
    }

    [Theory]
    [InlineData("partial-0-dense", "1…99")]
    [InlineData("partial-60-sparse", "unknown method")]
    [InlineData("lora,lora", "listed twice")]
    [InlineData("qlora", "unknown method")]
    public void Bad_method_names_are_clear_errors(string list, string message)
    {
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => FinetuneMethod.ParseList(list)).Message);
    }

    [Fact]
    public void Bad_options_are_clear_errors()
    {
        Assert.Contains("batch", Assert.Throws<ArgumentException>(() => (Tiny with { Batch = 0 }).Validate()).Message);
        Assert.Contains("not a CLIP model", Assert.Throws<ArgumentException>(() => (Tiny with { Preset = "deberta-v3-lab-tiny" }).Validate()).Message);
        Assert.Contains("image_size", Assert.Throws<InvalidDataException>(() => (Tiny with { ImageSize = 18 }).Validate()).Message);
    }
}
