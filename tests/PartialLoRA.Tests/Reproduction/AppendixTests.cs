using System.Text.Json.Nodes;
using PartialLoRA.Analysis;
using PartialLoRA.Experiments;
using PartialLoRA.Importance;
using PartialLoRA.Reproduction;
using PartialLoRA.Sparsity;
using Xunit;

namespace PartialLoRA.Tests.Reproduction;

/// <summary>The analysis pieces of notebooks 02, 12–15: overlaps and chance levels, depth trends, the paper's tables, the sweep specs.</summary>
public class AppendixTests
{
    private static readonly PlanProvenance Provenance = new() { Schedule = PlanSchedule.Algorithm1, Model = "m", ModelHash = "h" };

    private static string Path(int block) => $"vision_model.encoder.layers.{block}.self_attn.v_proj";

    private static SparsityPlan Plan(params (int Block, int[] Rows, int[] Cols)[] layers) =>
        new(Provenance, layers.Select(l => new LayerSparsity(Path(l.Block), 8, 8, l.Rows.Length, l.Cols.Length, l.Rows, l.Cols)).ToList());

    [Fact]
    public void Overlap_of_identical_plans_is_one_and_chance_follows_the_sizes()
    {
        var a = Plan((0, [0, 1, 2, 3], [0, 1]), (1, [0, 1, 2, 3, 4, 5, 6, 7], [0, 1, 2, 3, 4, 5, 6, 7]));
        var points = AppendixE.Pairwise([("x", a), ("y", a)]);
        Assert.All(points, p => Assert.Equal(1.0, p.Overlap));
        // block 0: 4 of 8 rows and 2 of 8 columns on both sides: E|∩| = (4·4/8)(2·2/8) = 1 of 8 elements
        Assert.Equal(1.0 / 8, points[0].Chance, 12);
        // a full layer overlaps fully with anything: chance 1
        Assert.Equal(1.0, points[1].Chance, 12);
        Assert.Equal([0, 1], points.Select(p => p.Block));
    }

    [Fact]
    public void Chance_matches_a_simulation_of_random_subsets()
    {
        var a = new LayerSparsity("l", 20, 10, 6, 4);
        var b = new LayerSparsity("l", 20, 10, 12, 5);
        var rng = new global::PartialLoRA.Data.FewShot.SplitMix64(3);
        double sum = 0;
        const int trials = 20000;
        for (var t = 0; t < trials; t++)
        {
            var ra = rng.Permutation(20).Take(6).ToHashSet();
            var rb = rng.Permutation(20).Take(12);
            var ca = rng.Permutation(10).Take(4).ToHashSet();
            var cb = rng.Permutation(10).Take(5);
            sum += (double)rb.Count(ra.Contains) * cb.Count(ca.Contains) / Math.Min(6 * 4, 12 * 5);
        }
        Assert.Equal(sum / trials, AppendixE.Chance(a, b), 2);
        Assert.Throws<ArgumentException>(() => AppendixE.Chance(a, new LayerSparsity("l", 21, 10, 1, 1)));
    }

    [Fact]
    public void Summary_puts_the_paper_finding_beside_ours()
    {
        var a = Plan((0, [0, 1, 2, 3], [0, 1, 2, 3]), (1, [0, 1], [0, 1]));
        var b = Plan((0, [0, 1, 2, 3], [0, 1, 2, 3]), (1, [6, 7], [6, 7]));
        var frame = AppendixE.SummaryFrame(AppendixE.Pairwise([("A", a), ("B", b)]), "measures");
        Assert.Equal(AppendixE.PaperFindings["measures"], frame.Columns["paper (App. E)"][0]);
        Assert.Equal(1.0, frame.Columns["ours: first half of blocks"][0]);
        Assert.Equal(0.0, frame.Columns["ours: second half"][0]);
        Assert.Throws<ArgumentException>(() => AppendixE.SummaryFrame(AppendixE.Pairwise([("A", a), ("B", b)]), "nope"));
    }

    [Fact]
    public void Group_curves_summarise_the_pairs_of_each_group_per_block()
    {
        var a = Plan((0, [0, 1, 2, 3], [0, 1, 2, 3]), (1, [0, 1], [0, 1]));
        var b = Plan((0, [0, 1, 2, 3], [0, 1, 2, 3]), (1, [6, 7], [6, 7]));
        var c = Plan((0, [0, 1, 4, 5], [0, 1, 2, 3]), (1, [0, 1], [0, 1]));
        // three draws of one measure give three pairs; block 0 overlaps 1, 1/2 and 1/2, block 1 overlaps 0, 1 and 0
        var points = AppendixE.Pairwise([("SVD draw 0", a), ("SVD draw 1", b), ("SVD draw 2", c)]);
        var g = Assert.Single(AppendixE.GroupCurves(points, p => p.A.Split(' ')[0]));
        Assert.Equal("SVD", g.Group);
        Assert.Equal(3, g.Pairs);
        Assert.Equal([0.0, 1.0], g.Depth); // block indices, as the layer table names them
        Assert.Equal(2.0 / 3, g.Mean[0], 12);
        Assert.Equal([0.5, 0.0], g.Min);
        Assert.Equal([1.0, 1.0], g.Max);
        Assert.Equal(1.0 / 3, g.Mean[1], 12);
        Assert.Equal(points.Where(p => p.Block == 1).Average(p => p.Chance), g.Chance[1], 12);
        Assert.Equal([0.0, 1.0], AppendixE.Curves(points)[0].Depth);
    }

    private static ResidualRun Residual(string label, long seed, double lr, double validation) =>
        new(label, $"{label}-{seed}-{lr}", seed, lr, validation, 0.5, [new ResidualNorm("vision_model.encoder.layers.0.mlp.fc1", 2, 1)]);

    [Fact]
    public void App_C_shows_each_method_by_its_best_validation_run_in_first_appearance_order()
    {
        var runs = new[]
        {
            Residual("LoRA", 0, 1e-4, 0.70), Residual("Partial-LoRA (SVD)", 0, 1e-4, 0.80),
            Residual("LoRA", 0, 1e-3, 0.75), Residual("Partial-LoRA (SVD)", 0, 1e-3, double.NaN),
            Residual("LoRA", 1, 1e-4, 0.75), Residual("Partial-LoRA (SVD)", 1, 1e-4, 0.80),
        };
        var shown = AppendixC.Selected(runs);
        Assert.Equal(["LoRA", "Partial-LoRA (SVD)"], shown.Select(r => r.Label));
        Assert.Equal((0L, 1e-3), (shown[0].Seed, shown[0].LearningRate)); // best; of two equal ones the earlier grid point
        Assert.Equal((0L, 1e-4), (shown[1].Seed, shown[1].LearningRate)); // a run without a score never wins
        var summary = AppendixC.SummaryFrame(shown, "fc1");
        Assert.Equal(0.75, (double)summary["validation accuracy"][0]!);
        Assert.Equal(1e-3, (double)summary["learning rate"][0]!);
    }

    [Fact]
    public void App_C_norm_files_round_trip_and_a_damaged_one_names_itself_and_the_field()
    {
        var dir = TestSupport.TempDir("appc-norms");
        var file = System.IO.Path.Combine(dir, "run.json");
        var run = Residual("LoRA", 3, 5e-4, double.NaN);
        AppendixC.Save(file, run);
        var back = AppendixC.Load(file);
        Assert.Equal((run.Label, run.Key, run.Seed, run.LearningRate, run.TestAccuracy), (back.Label, back.Key, back.Seed, back.LearningRate, back.TestAccuracy));
        Assert.True(double.IsNaN(back.Validation));
        Assert.Equal(run.Norms, back.Norms);
        var o = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        o.Remove("seed");
        File.WriteAllText(file, o.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => AppendixC.Load(file));
        Assert.Contains(file, e.Message);
        Assert.Contains("'seed'", e.Message);
    }

    [Fact]
    public void Depth_trend_uses_rank_correlation()
    {
        Assert.Equal(-1.0, AppendixG.Spearman([1, 2, 3, 4], [0.9, 0.5, 0.4, 0.1]), 12);
        Assert.Equal(1.0, AppendixG.Spearman([1, 2, 3], [1, 1.5, 8]), 12);
        Assert.True(double.IsNaN(AppendixG.Spearman([1, 2, 3], [2, 2, 2])));
        Assert.Equal(3, AppendixG.Block(Path(3)));
        Assert.Throws<ArgumentException>(() => AppendixG.Block("classifier"));

        var shrinking = Plan((0, [0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5]), (1, [0, 1, 2, 3], [0, 1, 2, 3]), (2, [0, 1], [0, 1]));
        var frame = AppendixG.TrendFrame([(ImportanceMeasure.Svd, shrinking)]);
        Assert.Equal(AppendixG.PaperFinding, frame.Columns["paper (App. G)"][0]);
        Assert.Equal("decreases with depth", frame.Columns["ours"][0]);
        var (_, depth, fraction) = AppendixG.ByDepth([(ImportanceMeasure.Svd, shrinking)])[0];
        Assert.Equal([0.0, 1.0, 2.0], depth); // block indices, as the layer table names them
        Assert.Equal(36.0 / 64, fraction[0], 12);
    }

    [Fact]
    public void Table4_is_copied_as_printed()
    {
        var rows = AppendixH.PaperTable4;
        Assert.Equal(6, rows.Count);
        // The Isolated column is Table 2's Partial-LoRA (IMP) column; its average is the printed one.
        Assert.Equal(83.47, Math.Round(rows.Take(5).Average(r => r.Isolated), 2));
        Assert.Equal(83.47, rows[^1].Isolated);
        // The printed Continuous average (83.58) is not the mean of its rows (83.62): kept as printed.
        Assert.Equal(83.58, rows[^1].Continuous);
        Assert.Equal(83.62, Math.Round(rows.Take(5).Average(r => r.Continuous), 2));
    }

    [Fact]
    public void Table4_frame_gives_both_variants_their_gap_and_the_papers_row()
    {
        var spec = ReproductionSupport.Parse(AppendixH.Spec(ReproductionProfile.Lab, 0));
        var result = ReproductionSupport.Result(spec,
            [("cifar10", "Isolated", 0, 0.75, 100), ("cifar10", "Isolated", 1, 0.77, 100), ("cifar10", "Continuous", 0, 0.70, 100),
             ("gtsrb", "Isolated", 0, 0.5, 100)]);
        var frame = AppendixH.Table(result);
        Assert.Equal(["dataset", "Isolated (%)", "Isolated ± std", "Continuous (%)", "Continuous ± std", "gap I − C (points)",
            "paper Isolated (%)", "paper Continuous (%)", "paper gap I − C (points)"], frame.Columns.Select(c => c.Name));
        var cifar = frame.Rows.Single(r => (string)r[0] == "cifar10");
        Assert.Equal(76.0, (double)cifar[1], 9);
        Assert.True((double)cifar[2] > 0);
        Assert.Equal(70.0, (double)cifar[3], 9);
        Assert.Equal(6.0, (double)cifar[5], 9);
        Assert.Equal((93.89, 94.20), ((double)cifar[6], (double)cifar[7]));
        Assert.Equal(-0.31, (double)cifar[8], 9);
        // No Continuous run of GTSRB yet: its cells and the gap are NaN, not 0.
        var gtsrb = frame.Rows.Single(r => (string)r[0] == "gtsrb");
        Assert.True(double.IsNaN((double)gtsrb[3]) && double.IsNaN((double)gtsrb[5]));
        Assert.Equal(0.15, (double)gtsrb[8], 9);
    }

    [Fact]
    public void Table4_smoke_targets_give_block_0_a_consumer_so_Continuous_differs_from_Isolated()
    {
        var spec = AppendixH.Spec(ReproductionProfile.Smoke, 0);
        var targets = spec["methods"]!.AsArray().Select(m => m!["target_modules"]!.GetValue<string>()).Distinct().Single();
        // forward order of a CLIP block's attention projections, as the planner sees them
        var adapted = Enumerable.Range(0, 6).SelectMany(b => new[] { "k_proj", "v_proj", "q_proj" }.Select(l => $"vision_model.encoder.layers.{b}.self_attn.{l}"))
            .Where(p => System.Text.RegularExpressions.Regex.IsMatch(p, $"^(?:{targets})$"))
            .Select(p => new ImportanceScores(p, [1, 2], [3, 4])).ToList();
        var consumers = FlowPreservation.InferConsumers(adapted);
        Assert.Equal(["vision_model.encoder.layers.1.self_attn.v_proj", "vision_model.encoder.layers.1.self_attn.q_proj"],
            consumers["vision_model.encoder.layers.0.self_attn.q_proj"]);
        Assert.NotEqual(adapted[0].Rows, FlowPreservation.Reweight(adapted)[0].Rows);
        // lab keeps each method's PEFT default targets
        Assert.All(AppendixH.Spec(ReproductionProfile.Lab, 0)["methods"]!.AsArray(), m => Assert.False(m!.AsObject().ContainsKey("target_modules")));
    }

    [Fact]
    public void Sweep_specs_of_every_profile_validate_against_the_catalog()
    {
        var catalog = BuiltInCatalog.Create(TestSupport.TempDir("repro-specs"));
        foreach (var profile in new[] { ReproductionProfile.Smoke, ReproductionProfile.Lab })
        {
            foreach (var json in new[] { AppendixH.Spec(profile, 0), AppendixD.Spec(profile, 0), AppendixC.Spec(profile, 0) })
            {
                var spec = SweepSpec.Parse(json.ToJsonString(), "test", catalog);
                var runs = spec.Expand("test");
                Assert.Equal(profile == ReproductionProfile.Smoke ? 1 : 4 * 5, spec.Seeds.Count * spec.LearningRates.Count);
                Assert.Equal(spec.Datasets.Count * spec.Methods.Count * spec.Seeds.Count * spec.LearningRates.Count, runs.Count);
                Assert.Equal(runs.Count, runs.Select(r => r.Key).Distinct().Count());
                Assert.Equal(spec.Methods.Count, runs.Select(r => r.Label).Distinct().Count());
            }
        }
        Assert.Equal(["LoRA", "deterministic IMP", "stochastic IMP T=0.1", "stochastic IMP T=1"],
            AppendixD.Methods(true).Select(m => m["label"]!.GetValue<string>()));
    }
}
