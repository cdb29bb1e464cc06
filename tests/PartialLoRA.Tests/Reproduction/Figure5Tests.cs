using System.Text.RegularExpressions;
using PartialLoRA.Adapters.Masks;
using PartialLoRA.Reproduction;
using static PartialLoRA.Tests.Reproduction.ReproductionSupport;

namespace PartialLoRA.Tests.Reproduction;

public class Figure5Tests
{
    [Fact]
    public void Balanced_keeps_one_minus_the_swept_sparsity_and_pyramidal_takes_p()
    {
        var points = Figure5.Points(ReproductionProfile.Lab);
        var balanced = points.Where(p => p.Family == Figure5.Balanced).ToList();
        Assert.Equal([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], balanced.Select(p => p.Setting!.Value));
        Assert.All(balanced, p => Assert.Equal(1 - p.Setting!.Value, p.Method["density"]!.GetValue<double>(), 9));
        Assert.All(points.Where(p => p.Family == Figure5.Pyramidal), p => Assert.Equal(p.Setting, p.Method["p"]!.GetValue<double>()));
        Assert.Equal(points.Count, points.Select(p => p.Label).Distinct().Count());
    }

    [Fact]
    public void Smoke_and_lab_specs_validate_against_the_catalog()
    {
        Assert.Equal(7, Parse(Figure5.Spec(ReproductionProfile.Smoke, 0, ["cifar10"], VisionPreset)).Expand("t").Count);
        Assert.Equal(2 * 17 * 20, Parse(Figure5.Spec(ReproductionProfile.Lab, 0, ["cifar10", "gtsrb"], VisionPreset)).Expand("t").Count);
    }

    [Fact]
    public void Smoke_pyramidal_points_differ_from_every_balanced_point()
    {
        var spec = Figure5.Spec(ReproductionProfile.Smoke, 0, ["cifar10"], VisionPreset);
        var targets = spec["methods"]!.AsArray().Select(m => m!["target_modules"]!.GetValue<string>()).Distinct().Single();
        Assert.Equal(ReproductionSweep.SmokeVisionTwoBlockTargets, targets);
        var adapted = Enumerable.Range(0, 6).SelectMany(b => new[] { "q_proj", "k_proj", "v_proj" }.Select(l => $"vision_model.encoder.layers.{b}.self_attn.{l}"))
            .Where(p => Regex.IsMatch(p, $"^(?:{targets})$")).ToList();
        Assert.Equal(4, adapted.Count);
        // with the first block alone a Pyramidal point (p^1 = p) would be the Balanced point at density p
        var balanced = Figure5.BalancedSparsities(ReproductionProfile.Smoke).Select(s => 1 - s).ToList();
        foreach (var p in Figure5.PyramidalP(ReproductionProfile.Smoke))
        {
            var densities = adapted.Select(ElementMasks.Pyramidal(p, 0).Density).ToList();
            Assert.DoesNotContain(balanced, d => densities.All(x => Math.Abs(x - d) < 1e-9));
        }
    }

    [Fact]
    public void Curves_are_ordered_by_parameters_and_the_paper_columns_come_from_Table_5()
    {
        var spec = Parse(Figure5.Spec(ReproductionProfile.Smoke, 0, ["cifar10"], VisionPreset));
        var result = Result(spec, [
            ("cifar10", "Balanced (sparsity 0.1)", 0, 0.60, 900), ("cifar10", "Balanced (sparsity 0.5)", 0, 0.55, 500),
            ("cifar10", "Balanced (sparsity 0.9)", 0, 0.40, 100), ("cifar10", "LoRA", 0, 0.62, 1000),
        ]);
        var (n, acc, _) = Figure5.Curve(result, "cifar10", Figure5.Balanced, ReproductionProfile.Smoke);
        Assert.Equal([100.0, 500, 900], n);
        Assert.Equal([40.0, 55, 60], acc.Select(a => Math.Round(a, 6)));
        var frame = Figure5.Frame(result, ReproductionProfile.Smoke);
        var lora = frame.Rows.Single(r => (string)r[1] == Figure5.Lora);
        Assert.Equal((94.50, 0.67), ((double)lora[7], (double)lora[8]));
        Assert.Null(frame.Rows.Single(r => (string)r[2] == "p = 0.5 (block l keeps p^l)")[7]);
    }
}
