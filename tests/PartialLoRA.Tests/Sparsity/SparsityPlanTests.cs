using System.Text.Json.Nodes;
using PartialLoRA.Importance;
using PartialLoRA.Sparsity;
using PartialLoRA.Tests.Importance;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Sparsity;

public class SparsityPlanTests
{
    public SparsityPlanTests() => _ = TestSupport.Torch;

    private static SparsityPlan Sample() => new(
        new PlanProvenance
        {
            Schedule = PlanSchedule.Algorithm1,
            Model = "openai/clip-vit-base-patch16",
            ModelHash = "sha256:00ff",
            Task = "cifar10",
            Shots = 16,
            Seed = -3,
            Measure = ImportanceMeasure.Imp,
            Flow = FlowMode.Continuous,
            Selection = SelectionMode.Softmax,
            Temperature = 0.25,
            Threshold = 0.9,
            BaselineAccuracy = 0.8125,
            Evaluations = 1441,
        },
        [
            new LayerSparsity("vision_model.encoder.layers.0.self_attn.q_proj", 4, 6, 2, 3, [0, 3], [1, 2, 5]),
            new LayerSparsity("vision_model.encoder.layers.0.mlp.fc1", 8, 4, 8, 0, Enumerable.Range(0, 8).ToArray(), []),
        ]);

    private static void AssertSame(SparsityPlan a, SparsityPlan b)
    {
        Assert.Equal(a.Provenance, b.Provenance);
        Assert.Equal(a.Layers.Count, b.Layers.Count);
        for (var i = 0; i < a.Layers.Count; i++)
        {
            var (x, y) = (a.Layers[i], b.Layers[i]);
            Assert.Equal((x.Module, x.Rows, x.Cols, x.KeptRows, x.KeptCols, x.Density), (y.Module, y.Rows, y.Cols, y.KeptRows, y.KeptCols, y.Density));
            Assert.Equal(x.RowIndices, y.RowIndices);
            Assert.Equal(x.ColIndices, y.ColIndices);
        }
    }

    [Fact]
    public void Round_trips_through_a_file()
    {
        var path = Path.Combine(TestSupport.TempDir("plan"), "plan.json");
        var plan = Sample();
        plan.Save(path);
        AssertSame(plan, SparsityPlan.Load(path));
        var json = File.ReadAllText(path);
        Assert.Contains("\"format\": \"partial-lora.sparsity-plan/1\"", json);
        Assert.Contains("\"row_indices\": [0,3]", json); // index sets on one line
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!)); // no temp file left
    }

    [Fact]
    public void Round_trips_a_schedule_plan_with_densities_and_no_indices()
    {
        var prov = new PlanProvenance { Schedule = PlanSchedule.Balanced, Model = "m", ModelHash = "sha256:1" };
        var plan = SparsitySchedules.Balanced([("a", 10, 3), ("b", 7, 7)], 0.3, prov);
        AssertSame(plan, SparsityPlanJson.Parse(SparsityPlanJson.ToJson(plan), "mem"));
    }

    public static TheoryData<string, string, string> Malformed => new()
    {
        { "format", "\"other/1\"", "format: expected \"partial-lora.sparsity-plan/1\"" },
        { "layers[0].kept_rows", "9", "layers[0].kept_rows: expected 0…4, got 9" },
        { "layers[0].row_indices", "[3,0]", "layers[0].row_indices: expected strictly ascending indices" },
        { "layers[0].row_indices", "[0,4]", "layers[0].row_indices: index 4 at position 1 is outside 0…3" },
        { "layers[0].col_indices", "[1]", "layers[0].col_indices: has 1 indices but kept_cols is 3" },
        { "layers[0].rows", "\"four\"", "layers[0].rows: expected an integer, got String" },
        { "layers[0].rows", "4.5", "layers[0].rows: expected an integer, got 4.5" },
        { "layers[1].module", "\"vision_model.encoder.layers.0.self_attn.q_proj\"", "layers[1].module: 'vision_model.encoder.layers.0.self_attn.q_proj' appears twice" },
        { "layers[0].density", "1.5", "layers[0].density: expected a density in [0, 1], got 1.5" },
        { "layers[0].colour", "1", "layers[0].colour: unknown field" },
        { "provenance.measure", "\"magnitude\"", "provenance.measure: expected one of svd, snip, imp, got \"magnitude\"" },
        { "provenance.measure", "null", "provenance.measure: required for schedule \"algorithm1\"" },
        { "provenance.threshold", "0", "provenance.threshold: expected τ in (0, 1], got 0" },
        { "provenance.temperature", "null", "provenance.temperature: required with selection \"softmax\"" },
        { "provenance.model_hash", "\"\"", "provenance.model_hash: expected a non-empty digest" },
        { "provenance.shots", "0", "provenance.shots: expected at least 1 shot per class, got 0" },
        { "layers", "[]", "layers: expected at least one layer" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void A_malformed_plan_names_the_file_and_the_field(string field, string value, string expected)
    {
        var root = JsonNode.Parse(SparsityPlanJson.ToJson(Sample()))!;
        var parts = field.Split('.');
        JsonNode node = root;
        foreach (var p in parts[..^1])
            node = p.EndsWith(']') ? node[p[..p.IndexOf('[')]]![int.Parse(p[(p.IndexOf('[') + 1)..^1])]! : node[p]!;
        var last = parts[^1];
        var newValue = JsonNode.Parse(value);
        if (last.EndsWith(']')) node[last[..last.IndexOf('[')]]![int.Parse(last[(last.IndexOf('[') + 1)..^1])] = newValue;
        else node[last] = newValue;
        var path = Path.Combine(TestSupport.TempDir("plan"), "bad.json");
        File.WriteAllText(path, root.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => SparsityPlan.Load(path));
        Assert.Contains($"sparsity plan '{path}'", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Missing_fields_invalid_json_and_missing_files_are_clear_errors()
    {
        var root = JsonNode.Parse(SparsityPlanJson.ToJson(Sample()))!.AsObject();
        root["layers"]![0]!.AsObject().Remove("cols");
        var e = Assert.Throws<InvalidDataException>(() => SparsityPlanJson.Parse(root.ToJsonString(), "p.json"));
        Assert.Contains("layers[0].cols: missing", e.Message);
        root.Remove("provenance");
        Assert.Contains("provenance: missing", Assert.Throws<InvalidDataException>(() => SparsityPlanJson.Parse(root.ToJsonString(), "p.json")).Message);
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => SparsityPlanJson.Parse("{\"format\":", "p.json")).Message);
        Assert.Throws<FileNotFoundException>(() => SparsityPlan.Load("/no/such/plan.json"));
    }

    [Fact]
    public void An_invalid_plan_is_not_written()
    {
        var path = Path.Combine(TestSupport.TempDir("plan"), "plan.json");
        var bad = Sample() with { Layers = [new LayerSparsity("a", 2, 2, 3, 1)] };
        Assert.Throws<InvalidDataException>(() => bad.Save(path));
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void The_planner_produces_a_plan_with_provenance_and_top_k_index_sets()
    {
        using var scope = torch.NewDisposeScope();
        var (model, x, y) = SignalTask.Build(n: 12, k: 4, samplesPerClass: 16, seed: 1);
        var source = new PlanSource("signal-task", ModelFingerprint.OfModule(model), "signal", 16);
        var result = SparsityPlanner.Plan(model, new FewShotSet(x, y), ["layers.0.fc"], source,
            new PlannerOptions { Measure = ImportanceMeasure.Snip, Seed = 5 });
        var layer = result.Plan.Layers.Single();
        Assert.Equal((16, 12, 4), (layer.Rows, layer.Cols, layer.KeptCols));
        Assert.Equal([0, 1, 2, 3], layer.ColIndices!);
        Assert.Equal(layer.KeptRows, layer.RowIndices!.Length);
        var p = result.Plan.Provenance;
        Assert.Equal((PlanSchedule.Algorithm1, ImportanceMeasure.Snip, FlowMode.Isolated, SelectionMode.TopK, 0.9, 16, 5L),
            (p.Schedule, p.Measure, p.Flow, p.Selection, p.Threshold, p.Shots, p.Seed));
        Assert.Equal(result.Derivation.BaselineAccuracy, p.BaselineAccuracy);
        Assert.Equal(result.Derivation.Evaluations, p.Evaluations);
        Assert.StartsWith("sha256:", p.ModelHash);
        AssertSame(result.Plan, SparsityPlanJson.Parse(SparsityPlanJson.ToJson(result.Plan), "mem"));
    }

    [Fact]
    public void Softmax_selection_is_reproducible_from_the_seed_and_independent_of_layer_order()
    {
        using var scope = torch.NewDisposeScope();
        var model = BlockMlp.Graded([8, 32, 32, 4], seed: 2);
        var x = TestSupport.Randn(3, 32, 8);
        var data = new FewShotSet(x, model.Logits(x).detach().argmax(1));
        var source = new PlanSource("graded", "sha256:1", "teacher", 8);
        var options = new PlannerOptions { Selection = SelectionMode.Softmax, Temperature = 0.5, Seed = 11 };
        var a = SparsityPlanner.Plan(model, data, ["layers.0.fc", "layers.1.fc"], source, options).Plan.ByModule;
        var b = SparsityPlanner.Plan(model, data, ["layers.1.fc", "layers.0.fc"], source, options).Plan.ByModule;
        var c = SparsityPlanner.Plan(model, data, ["layers.0.fc", "layers.1.fc"], source, options with { Seed = 12 }).Plan.ByModule;
        foreach (var m in new[] { "layers.0.fc", "layers.1.fc" })
        {
            Assert.Equal(a[m].RowIndices, b[m].RowIndices);
            Assert.Equal(a[m].ColIndices, b[m].ColIndices);
        }
        Assert.True(a.Keys.Any(m => !a[m].RowIndices!.SequenceEqual(c[m].RowIndices!) || !a[m].ColIndices!.SequenceEqual(c[m].ColIndices!)),
            "another seed should draw other index sets");
    }
}
