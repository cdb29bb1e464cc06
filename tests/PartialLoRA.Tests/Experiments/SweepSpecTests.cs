using PartialLoRA.Experiments;
using PartialLoRA.Training;

namespace PartialLoRA.Tests.Experiments;

public class SweepSpecTests
{
    private static readonly ExperimentCatalog Catalog = BuiltInCatalog.Create();

    private static SweepSpec Parse(string json) => SweepSpec.Parse(json, "spec.json", Catalog);

    private static string Error(string json) => Assert.Throws<SpecException>(() => Parse(json)).Message;

    private const string Minimal = """{"model": "tiny-mlp", "datasets": ["synthetic-blobs"], "methods": ["full"]}""";

    [Fact]
    public void Defaults_are_the_papers_protocol_20_runs_top_5()
    {
        var s = Parse(Minimal);
        Assert.Equal([0L, 1, 2, 3], s.Seeds);
        Assert.Equal([1e-4, 2.66e-4, 7.07e-4, 1.88e-3, 5e-3], s.LearningRates);
        // Log-spaced: 1e-4 · 50^(k/4), to three digits.
        for (int k = 0; k < 5; k++) Assert.Equal(1e-4 * Math.Pow(50, k / 4.0), s.LearningRates[k], 1e-4 * Math.Pow(50, k / 4.0) * 3e-3);
        Assert.Equal(5, s.TopK);
        Assert.Equal("spec", s.Name);
        var runs = s.Expand("v1");
        Assert.Equal(20, runs.Count);
        Assert.Equal(20, runs.Select(r => r.Key).Distinct().Count());
        Assert.All(runs, r => Assert.Equal("full", r.Label));
    }

    [Fact]
    public void Expansion_order_and_labels()
    {
        var s = Parse("""
            {"model": "tiny-mlp", "datasets": ["synthetic-blobs", {"name": "synthetic-blobs", "classes": 2}],
             "methods": ["full", {"name": "linear-probe", "label": "probe"}], "seeds": [3, 1], "learning_rates": [0.01, 1e-3],
             "training": {"epochs": 3, "precision": "f32"}, "top_k": 2}
            """);
        var runs = s.Expand("v1");
        Assert.Equal(2 * 2 * 2 * 2, runs.Count);
        Assert.Equal(("full", 3L, 0.01), (runs[0].Label, runs[0].Config.Seed, runs[0].Config.LearningRate));
        Assert.Equal(("full", 3L, 1e-3), (runs[1].Label, runs[1].Config.Seed, runs[1].Config.LearningRate));
        Assert.Equal(("full", 1L, 0.01), (runs[2].Label, runs[2].Config.Seed, runs[2].Config.LearningRate));
        Assert.Equal("probe", runs[4].Label);
        Assert.Equal(2, runs[8].Config.Dataset.Options["classes"]!.GetValue<int>());
        Assert.Equal(3, s.Training.Epochs);
        Assert.Equal(Precision.F32, s.Training.Precision);
        Assert.Equal(2, s.TopK);
    }

    [Fact]
    public void Unknown_method_names_the_field_and_the_known_methods()
    {
        var e = Error("""{"model": "tiny-mlp", "datasets": ["synthetic-blobs"], "methods": ["full", {"name": "lora-xl"}]}""");
        Assert.Equal("spec.json: methods[1].name: unknown method 'lora-xl'; known: " + string.Join(", ", Catalog.Methods.Keys.Order(StringComparer.Ordinal)), e);
        Assert.Contains("lora, loraplus, lorpa", e);
    }

    [Fact]
    public void Unknown_dataset_and_model_name_the_field()
    {
        Assert.StartsWith("spec.json: datasets[0].name: unknown dataset 'imagenet-22k'; known:",
            Error("""{"model": "tiny-mlp", "datasets": ["imagenet-22k"], "methods": ["full"]}"""));
        Assert.StartsWith("spec.json: model.name: unknown model 'gpt-9'",
            Error("""{"model": "gpt-9", "datasets": ["synthetic-blobs"], "methods": ["full"]}"""));
    }

    [Theory]
    [InlineData("0", "learning_rates[1]: 0: a learning rate must be > 0")]
    [InlineData("-1e-3", "learning_rates[1]: -0.001: a learning rate must be > 0")]
    [InlineData("\"fast\"", "learning_rates[1]: expected a number, got the string \"fast\"")]
    public void Learning_rates_must_be_positive_numbers(string bad, string expected)
    {
        var e = Error($$"""{"model": "tiny-mlp", "datasets": ["synthetic-blobs"], "methods": ["full"], "learning_rates": [1e-3, {{bad}}]}""");
        Assert.Equal("spec.json: " + expected, e);
    }

    [Fact]
    public void Malformed_json_names_line_and_column()
    {
        var e = Error("{\n  \"model\": \"tiny-mlp\",\n  \"datasets\": [\"synthetic-blobs\"\n  \"methods\": [\"full\"]\n}");
        Assert.StartsWith("spec.json: malformed JSON at line 4, column 3:", e);
    }

    [Theory]
    [InlineData("""{"model": "tiny-mlp", "datasets": ["synthetic-blobs"], "methods": ["full"], "seed": [1]}""", "spec.json: seed: unknown field; expected one of:")]
    [InlineData("""{"model": "tiny-mlp", "datasets": ["synthetic-blobs"], "methods": []}""", "spec.json: methods: must not be empty")]
    [InlineData("""{"model": "tiny-mlp", "datasets": ["synthetic-blobs"]}""", "spec.json: methods: required (a non-empty array)")]
    [InlineData("""{"datasets": ["synthetic-blobs"], "methods": ["full"]}""", "spec.json: model: required")]
    [InlineData("""{"model": "tiny-mlp", "datasets": ["synthetic-blobs"], "methods": ["full", "full"]}""", "spec.json: methods[1]: repeats methods[0]")]
    [InlineData("""{"model": "tiny-mlp", "datasets": ["synthetic-blobs"], "methods": ["full"], "seeds": [1, 1.5]}""", "spec.json: seeds[1]: expected a whole number, got the number 1.5")]
    [InlineData("""{"model": "tiny-mlp", "datasets": ["synthetic-blobs"], "methods": [{"name": "full", "rank": 8}]}""", "spec.json: methods[0].rank: unknown field")]
    [InlineData("""{"model": "tiny-mlp", "datasets": [{"name": "synthetic-blobs", "classes": 1}], "methods": ["full"]}""", "spec.json: datasets[0].classes: 1: must be ≥ 2")]
    [InlineData("""{"model": "tiny-mlp", "datasets": ["synthetic-blobs"], "methods": ["full"], "training": {"epochs": 0}}""", "spec.json: training: epochs = 0: must be ≥ 1")]
    [InlineData("""{"model": "tiny-mlp", "datasets": ["synthetic-blobs"], "methods": ["full"], "training": {"optimizer": "sgd"}}""", "spec.json: training.optimizer: 'sgd'")]
    [InlineData("""{"model": "tiny-mlp", "datasets": ["synthetic-blobs"], "methods": ["full"], "training": {"precision": "fp8"}}""", "spec.json: training.precision: 'fp8'")]
    [InlineData("""{"model": "tiny-mlp", "datasets": ["synthetic-blobs"], "methods": ["full"], "training": {"epoch": 3}}""", "spec.json: training.epoch: unknown field")]
    [InlineData("""{"model": "tiny-mlp", "datasets": ["synthetic-blobs"], "methods": ["full"], "top_k": 0}""", "spec.json: top_k: 0: must be ≥ 1")]
    [InlineData("""[1, 2]""", "spec.json: expected a JSON object, got an array")]
    public void Invalid_specs_name_the_field(string json, string expectedStart) =>
        Assert.StartsWith(expectedStart, Error(json));

    [Fact]
    public void Missing_file_is_reported()
    {
        Assert.Contains("sweep spec file not found", Assert.Throws<SpecException>(() => SweepSpec.Load("/no/such/spec.json", Catalog)).Message);
    }
}
