using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PartialLoRA.Experiments;
using static PartialLoRA.Tests.Experiments.ExperimentSupport;

namespace PartialLoRA.Tests.Experiments;

public class RunKeyTests
{
    [Fact]
    public void Canonical_json_sorts_keys_and_spells_numbers_one_way()
    {
        var a = JsonNode.Parse("""{"b": [1.0, 1e-4, "x\u00e9"], "a": {"z": null, "y": true, "x": 2.50}}""");
        var b = new JsonObject
        {
            ["a"] = new JsonObject { ["x"] = 2.5, ["y"] = true, ["z"] = null },
            ["b"] = new JsonArray(1, 0.0001, "xé"),
        };
        const string expected = """{"a":{"x":2.5,"y":true,"z":null},"b":[1,0.0001,"xé"]}""";
        Assert.Equal(expected, CanonicalJson.Serialize(a));
        Assert.Equal(expected, CanonicalJson.Serialize(b));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(expected))), CanonicalJson.Sha256(b));
        Assert.Throws<ArgumentException>(() => CanonicalJson.Serialize(new JsonObject { ["x"] = double.NaN }));
    }

    [Fact]
    public void The_key_covers_every_field_that_changes_a_result()
    {
        var baseKey = Config().Key;
        Assert.Equal(64, baseKey.Length);
        Assert.Equal(baseKey, Config().Key);
        var variants = new[]
        {
            Config(seed: 1), Config(lr: 2e-3), Config(method: "linear-probe"), Config(dataset: "other"),
            Config(methodOptions: new JsonObject { ["rank"] = 4 }), Config(code: "def456"),
            Config() with { Training = TrainingSettings.Default with { Epochs = 3 } },
            Config() with { Model = Config().Model with { CheckpointSha256 = "0123" } },
            Config() with { Model = Config().Model with { Options = new JsonObject { ["hidden"] = 32 } } },
            Config() with { Dataset = Config().Dataset with { Fingerprint = "f00d" } },
        };
        var keys = variants.Select(v => v.Key).ToList();
        Assert.DoesNotContain(baseKey, keys);
        Assert.Equal(keys.Count, keys.Distinct().Count());
        // Where the checkpoint lies is not part of the key.
        Assert.Equal(baseKey, (Config() with { Model = Config().Model with { CheckpointPath = "/elsewhere" } }).Key);
    }

    [Fact]
    public void Normalised_defaults_make_spelled_out_and_implicit_options_the_same_run()
    {
        var catalog = BuiltInCatalog.Create();
        var implicitSpec = catalog.NormalizeModel(JsonValue.Create("tiny-mlp"), "model", "t");
        var explicitSpec = catalog.NormalizeModel(JsonNode.Parse("""{"name":"tiny-mlp","hidden":32,"layers":2,"dropout":0.1,"init_seed":0}"""), "model", "t");
        Assert.Equal(CanonicalJson.Serialize(implicitSpec.ToJson()), CanonicalJson.Serialize(explicitSpec.ToJson()));
    }

    [Fact]
    public void Code_version_is_the_commit_of_the_informational_version()
    {
        Assert.Equal("89c361f79b", CodeVersion.FromInformationalVersion("1.0.0+89c361f79b"));
        Assert.Equal("1.2.3", CodeVersion.FromInformationalVersion("1.2.3"));
        Assert.Equal("unknown", CodeVersion.FromInformationalVersion(null));
        Assert.NotEqual("unknown", CodeVersion.Current);
    }
}
