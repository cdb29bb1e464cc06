using System.Text.Json.Nodes;
using PartialLoRA.Models;
using PartialLoRA.Reproduction;
using static PartialLoRA.Tests.Reproduction.ReproductionSupport;

namespace PartialLoRA.Tests.Reproduction;

public class Table1Tests
{
    private static HfConfigJson Config(string json)
    {
        var dir = TestSupport.TempDir("table1-config");
        File.WriteAllText(Path.Combine(dir, "config.json"), json);
        return HfModelFolder.ReadConfig(dir);
    }

    [Fact]
    public void Shapes_cover_the_query_and_value_projections_including_grouped_value_heads()
    {
        // DeBERTa: q and v are h×h in each layer.
        var deberta = Table1.Shapes(Config("""{"model_type": "deberta-v2", "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2}"""));
        Assert.Equal(new Table1.TargetShapes(2 * (64 + 64), 2 * (16 + 16), 4), deberta);
        // LLaMA with 2 key-value heads of 4 dims: v is 8×16.
        var llama = Table1.Shapes(Config("""{"model_type": "llama", "hidden_size": 16, "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2}"""));
        Assert.Equal(new Table1.TargetShapes(3 * (256 + 128), 3 * (32 + 24), 6), llama);
        var bad = Assert.Throws<InvalidDataException>(() => Table1.Shapes(Config("""{"model_type": "llama", "hidden_size": 16}""")));
        Assert.Contains("num_hidden_layers", bad.Message);
    }

    [Fact]
    public void The_masking_density_trains_as_many_entries_as_Partial_LoRAs_adapters()
    {
        var shapes = new Table1.TargetShapes(Elements: 10_000, RowsPlusColumns: 400, Modules: 2);
        // head = 3,400 − 8·400 = 200; Partial-LoRA's adapters = 1,200 − 200 = 1,000 ⇒ 10% of the 10,000 entries.
        Assert.Equal(0.1, Table1.MatchedDensity(3_400, 1_200, 8, shapes)!.Value, 12);
        Assert.Throws<ArgumentException>(() => Table1.MatchedDensity(3_000, 1_200, 8, shapes));
        Assert.Throws<ArgumentException>(() => Table1.MatchedDensity(3_400, 100, 8, shapes));
        // Algorithm 1 kept nothing: Partial-LoRA trains the head alone (200), so there is no density to match.
        Assert.Null(Table1.MatchedDensity(3_400, 200, 8, shapes));
    }

    [Fact]
    public void Both_stages_validate_against_the_catalog_with_the_masking_density_in_the_key()
    {
        var stage1 = Parse(Table1.Spec(ReproductionProfile.Smoke, 0, TextPreset));
        Assert.Equal(["full", "lora", "partial-lora"], stage1.Methods.Select(m => m.Spec.Name));
        // every layer in smoke too: the matched density counts them all
        Assert.All(stage1.Methods.Skip(1), m => Assert.Equal("default", m.Spec.Options["target_modules"]!.GetValue<string>()));
        var sst2 = stage1.Datasets.Single();
        Assert.Equal(("sst2", ReproductionSweep.SmokeTextTrainLimit, ReproductionSweep.SmokeTextTestLimit, ReproductionSweep.SmokeTextMaxLength), (sst2.Name, sst2.Options["train_limit"]!.GetValue<int>(), sst2.Options["test_limit"]!.GetValue<int>(),
            sst2.Options["max_length"]!.GetValue<int>()));
        var a = Parse(Table1.MaskingSpec(ReproductionProfile.Smoke, 0, 0.25, TextPreset)).Expand("t").Single();
        var b = Parse(Table1.MaskingSpec(ReproductionProfile.Smoke, 0, 0.5, TextPreset)).Expand("t").Single();
        Assert.Equal(0.25, a.Config.Method.Options["density"]!.GetValue<double>());
        Assert.NotEqual(a.Key, b.Key);
        Assert.Equal(3 * 20, Parse(Table1.Spec(ReproductionProfile.Lab, 0, TextPreset)).Expand("t").Count);
        Assert.Equal(PaperModels.Llama.Model().ToJsonString(), Table1.Model(ReproductionProfile.Paper).ToJsonString());
        Assert.Equal("lab-text", Table1.Model(ReproductionProfile.Lab)["name"]!.GetValue<string>());
    }

    [Fact]
    public void The_frame_lists_the_four_methods_beside_the_papers_cells()
    {
        var stage1Spec = Parse(Table1.Spec(ReproductionProfile.Smoke, 0, TextPreset));
        var stage1 = Result(stage1Spec, [("sst2", "LoRA", 0, 0.8, 3_000), ("sst2", "Partial-LoRA", 0, 0.78, 1_000)]);
        var masking = Result(Parse(Table1.MaskingSpec(ReproductionProfile.Smoke, 0, 0.1, TextPreset)), [("sst2", "Masking", 0, 0.77, 1_000)]);
        var frame = Table1.Frame(stage1, masking);
        Assert.Equal(["FT", "LoRA", "Masking", "Partial-LoRA"], frame["method"].Cast<string>());
        Assert.Equal([94.7, 95.4, 95.5, 94.9], frame["paper (%)"].Cast<double>());
        Assert.Equal(77.0, Math.Round((double)frame["accuracy (%)"][2]!, 6));
        Assert.True(double.IsNaN((double)frame["accuracy (%)"][0]!));
    }
}
