using PartialLoRA.Reproduction;
using PartialLoRA.Sparsity;
using Xunit;

namespace PartialLoRA.Tests.Reproduction;

/// <summary>Notebook 02's naming and share helpers (the derivations themselves are tested in Sparsity/).</summary>
public class Algorithm1StudyTests
{
    [Theory]
    [InlineData("vision_model.encoder.layers.3.self_attn.q_proj", "block 3 · q_proj", "q_proj")]
    [InlineData("vision_model.encoder.layers.11.mlp.fc2", "block 11 · fc2", "fc2")]
    [InlineData("classifier", "classifier", "classifier")]
    [InlineData("encoder.layers", "encoder.layers", "layers")]
    public void Labels_name_the_block_and_the_layer_inside_it(string module, string label, string kind)
    {
        Assert.Equal(label, Algorithm1Study.LayerLabel(module));
        Assert.Equal(kind, Algorithm1Study.LayerKind(module));
    }

    [Fact]
    public void Layer_kinds_keep_the_forward_order_of_the_first_block()
    {
        string P(int b, string l) => $"vision_model.encoder.layers.{b}.{l}";
        var modules = new[] { 0, 1 }.SelectMany(b => new[] { P(b, "self_attn.k_proj"), P(b, "self_attn.v_proj"), P(b, "self_attn.q_proj"), P(b, "mlp.fc1") });
        Assert.Equal(["k_proj", "v_proj", "q_proj", "fc1"], Algorithm1Study.LayerKinds(modules));
    }

    [Fact]
    public void Kept_share_counts_rows_and_columns_of_all_layers()
    {
        var provenance = new PlanProvenance { Schedule = PlanSchedule.Algorithm1, Model = "m", ModelHash = "h" };
        var plan = new SparsityPlan(provenance,
        [
            new LayerSparsity("a", 8, 4, 2, 1, [0, 1], [0]),
            new LayerSparsity("b", 4, 4, 0, 0, [], []),
        ]);
        Assert.Equal(3.0 / 20, Algorithm1Study.KeptShare(plan), 12);
    }
}
