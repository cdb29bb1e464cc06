using PartialLoRA.Importance;

namespace PartialLoRA.Tests.Importance;

public class FlowPreservationTests
{
    private static ImportanceScores S(string module, int m, int n, double rowValue = 1, double colValue = 1) =>
        new(module, Enumerable.Repeat(rowValue, m).ToArray(), Enumerable.Repeat(colValue, n).ToArray());

    // Two CLIP-style encoder blocks (width 4, MLP 8) in forward order.
    private static List<ImportanceScores> ClipBlocks() =>
        Enumerable.Range(0, 2).SelectMany(b => new[]
        {
            S($"encoder.layers.{b}.self_attn.q_proj", 4, 4),
            S($"encoder.layers.{b}.self_attn.k_proj", 4, 4),
            S($"encoder.layers.{b}.self_attn.v_proj", 4, 4),
            S($"encoder.layers.{b}.self_attn.out_proj", 4, 4),
            S($"encoder.layers.{b}.mlp.fc1", 8, 4),
            S($"encoder.layers.{b}.mlp.fc2", 4, 8),
        }).ToList();

    [Fact]
    public void Infers_the_next_layers_of_a_transformer_block()
    {
        var c = FlowPreservation.InferConsumers(ClipBlocks());
        const string a0 = "encoder.layers.0.self_attn.", m0 = "encoder.layers.0.mlp.", a1 = "encoder.layers.1.self_attn.";
        foreach (var p in new[] { "q_proj", "k_proj", "v_proj" }) Assert.Equal([a0 + "out_proj"], c[a0 + p]);
        Assert.Equal([m0 + "fc1"], c[a0 + "out_proj"]);
        Assert.Equal([m0 + "fc2"], c[m0 + "fc1"]);
        Assert.Equal([a1 + "q_proj", a1 + "k_proj", a1 + "v_proj"], c[m0 + "fc2"]);
        Assert.Empty(c["encoder.layers.1.mlp.fc2"]);
    }

    [Fact]
    public void Grouped_query_attention_keys_and_values_have_no_consumer()
    {
        // LLaMA-style: k/v project to 2 features, o_proj reads 4.
        var scores = new List<ImportanceScores>
        {
            S("layers.0.self_attn.q_proj", 4, 4), S("layers.0.self_attn.k_proj", 2, 4), S("layers.0.self_attn.v_proj", 2, 4),
            S("layers.0.self_attn.o_proj", 4, 4),
            S("layers.0.mlp.gate_proj", 6, 4), S("layers.0.mlp.up_proj", 6, 4), S("layers.0.mlp.down_proj", 4, 6),
        };
        var c = FlowPreservation.InferConsumers(scores);
        Assert.Equal(["layers.0.self_attn.o_proj"], c["layers.0.self_attn.q_proj"]);
        Assert.Empty(c["layers.0.self_attn.k_proj"]);
        Assert.Equal(["layers.0.mlp.gate_proj", "layers.0.mlp.up_proj"], c["layers.0.self_attn.o_proj"]);
        Assert.Equal(["layers.0.mlp.down_proj"], c["layers.0.mlp.up_proj"]);
    }

    [Fact]
    public void Rows_gain_the_column_scores_of_the_layers_that_read_them()
    {
        var fc1 = new ImportanceScores("mlp.fc1", [1, 2, 3], [10, 20]);
        var fc2 = new ImportanceScores("mlp.fc2", [5, 6], [100, 200, 300]);
        var r = FlowPreservation.Reweight([fc1, fc2]);
        Assert.Equal([101.0, 202, 303], r[0].Rows);
        Assert.Equal([10.0, 20], r[0].Cols);
        Assert.Equal([5.0, 6], r[1].Rows); // the last layer has no next layer
        Assert.Equal([1.0, 2, 3], fc1.Rows); // inputs untouched
    }

    [Fact]
    public void A_consumer_of_the_wrong_width_is_an_error_naming_both_layers()
    {
        var a = new ImportanceScores("a", [1, 2, 3], [1]);
        var b = new ImportanceScores("b", [1], [1, 2]);
        var e = Assert.Throws<ArgumentException>(() =>
            FlowPreservation.Reweight([a, b], new Dictionary<string, IReadOnlyList<string>> { ["a"] = ["b"] }));
        Assert.Contains("'a' has 3 output features", e.Message);
        Assert.Contains("'b' has 2 input features", e.Message);
    }
}
