using System.Text.Json.Nodes;
using PartialLoRA.Adapters;
using PartialLoRA.Adapters.Layers;
using PartialLoRA.Adapters.Serialization;
using PartialLoRA.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Adapters;

public class SerializationTests
{
    public SerializationTests() => _ = TestSupport.Torch;

    public static IEnumerable<object[]> AllMethods => Methods.Data;

    private static Dictionary<string, Tensor> ReadAll(string dir)
    {
        using var f = SafetensorsFile.Open(Path.Combine(dir, AdapterKeys.WeightsFile));
        return f.Entries.ToDictionary(e => e.Name, e => f.Load(e.Name));
    }

    private static void WriteAll(string dir, Dictionary<string, Tensor> tensors) =>
        SafetensorsWriter.Save(Path.Combine(dir, AdapterKeys.WeightsFile), tensors.Select(kv => (kv.Key, kv.Value)));

    private static JsonObject Config(string dir) => (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, AdapterKeys.ConfigFile)))!;

    [Theory]
    [MemberData(nameof(AllMethods))]
    public void Save_then_load_gives_the_same_adapter(string method)
    {
        var dir = TestSupport.TempDir("adapter-" + method);
        using var x = TinyTransformer.Input(2);
        using var net = new TinyTransformer(1);
        var am = Methods.Build(method, net);
        using var y = Kit.Forward(net, x);
        am.Save(dir);
        Assert.False(Directory.EnumerateFiles(dir, "*.tmp-*").Any());

        using var fresh = new TinyTransformer(1);
        var loaded = AdapterModel.Load(fresh, dir);
        using var y2 = Kit.Forward(fresh, x);
        Assert.True(Kit.MaxAbsDiff(y, y2) <= 1e-6, $"{method}: loaded adapter differs by {Kit.MaxAbsDiff(y, y2)}");
        Assert.Equal(am.Layers.Select(l => (l.ModulePath, l.GetType())), loaded.Layers.Select(l => (l.ModulePath, l.GetType())));
        Assert.Equal(am.TrainableParameterCount, loaded.TrainableParameterCount);
        Assert.Equal(am.StoredTrainableParameterCount, loaded.StoredTrainableParameterCount);
        Assert.Equal(am.Config.PeftType, loaded.Config.PeftType);
    }

    [Fact]
    public void Keys_and_shapes_follow_PEFT_and_compact_factors_are_saved_dense_with_their_masks()
    {
        var dir = TestSupport.TempDir("adapter-keys");
        using var net = new TinyTransformer(1);
        Methods.Build("partial-compact", net).Save(dir, baseModelName: "tiny");
        var t = ReadAll(dir);
        const string p = "base_model.model.layers.1.mlp.fc1.";
        Assert.Equal(new long[] { 4, 16 }, t[p + "lora_A.weight"].shape);
        Assert.Equal(new long[] { 24, 4 }, t[p + "lora_B.weight"].shape);
        Assert.Equal(ScalarType.Bool, t[p + "u_row"].dtype);
        Assert.Equal(new long[] { 24 }, t[p + "u_row"].shape);
        Assert.Equal(new long[] { 16 }, t[p + "u_col"].shape);
        Assert.Equal(12 * 4, t.Count);
        using var offCols = t[p + "u_col"].logical_not();
        Assert.True(t[p + "lora_A.weight"].index_select(1, offCols.nonzero().flatten()).eq(0).all().item<bool>());

        var c = Config(dir);
        Assert.Equal("LORA", (string)c["peft_type"]!);
        Assert.Equal("tiny", (string)c["base_model_name_or_path"]!);
        Assert.Equal(4, (int)c["r"]!);
        Assert.Equal(8.0, (double)c["lora_alpha"]!);
        Assert.Equal(TinyTransformer.AllLinear, c["target_modules"]!.AsArray().Select(n => (string)n!));
        Assert.False((bool)c["init_lora_weights"]!);
        var ext = c["partial_lora"]!.AsObject();
        Assert.Equal("partial", (string)ext["kind"]!);
        Assert.Equal("compact", (string)ext["storage"]!);
        Assert.Equal("row_col", (string)ext["layout"]!);
        Assert.Equal(7, (long)ext["mask_seed"]!);
        Assert.Equal(24, (int)ext["layers"]!["layers.1.mlp.fc1"]!["rows"]!);
    }

    [Fact]
    public void DoRA_VeRA_and_AdaLoRA_use_PEFTs_names()
    {
        using (var net = new TinyTransformer(1))
        {
            var dir = TestSupport.TempDir("dora");
            Methods.Build("dora", net).Save(dir);
            var t = ReadAll(dir);
            Assert.Equal(new long[] { 16 }, t["base_model.model.layers.0.self_attn.q_proj.lora_magnitude_vector"].shape);
            Assert.True((bool)Config(dir)["use_dora"]!);
        }
        using (var net = new TinyTransformer(1))
        {
            var dir = TestSupport.TempDir("vera");
            Methods.Build("vera", net).Save(dir);
            var t = ReadAll(dir);
            Assert.Equal(new long[] { 6, 24 }, t["base_model.vera_A"].shape);
            Assert.Equal(new long[] { 24, 6 }, t["base_model.vera_B"].shape);
            Assert.Equal(new long[] { 24 }, t["base_model.model.layers.0.mlp.fc1.vera_lambda_b"].shape);
            Assert.Equal(new long[] { 6 }, t["base_model.model.layers.0.mlp.fc1.vera_lambda_d"].shape);
            Assert.Equal("VERA", (string)Config(dir)["peft_type"]!);
            Assert.Equal(3, (long)Config(dir)["projection_prng_key"]!);
        }
        using (var net = new TinyTransformer(1))
        {
            var dir = TestSupport.TempDir("adalora");
            Methods.Build("adalora", net).Save(dir);
            var t = ReadAll(dir);
            Assert.Equal(new long[] { 6, 16 }, t["base_model.model.layers.0.mlp.fc1.lora_A"].shape);
            Assert.Equal(new long[] { 24, 6 }, t["base_model.model.layers.0.mlp.fc1.lora_B"].shape);
            Assert.Equal(new long[] { 6, 1 }, t["base_model.model.layers.0.mlp.fc1.lora_E"].shape);
            var c = Config(dir);
            Assert.Equal(("ADALORA", 6, 3, 20), ((string)c["peft_type"]!, (int)c["init_r"]!, (int)c["target_r"]!, (int)c["total_step"]!));
        }
    }

    [Fact]
    public void VeRA_without_saved_projections_regenerates_them_from_the_key()
    {
        var dir = TestSupport.TempDir("vera-nosave");
        using var x = TinyTransformer.Input(2);
        using var net = new TinyTransformer(1);
        var am = AdapterModel.Inject(net, new VeraConfig { TargetModules = TargetModules.Of("fc1", "fc2"), R = 4, ProjectionPrngKey = 5, SaveProjection = false });
        foreach (var l in am.Layers.Cast<VeraLinear>()) Kit.Perturb(l.LambdaB, 2, 0.5);
        using var y = Kit.Forward(net, x);
        am.Save(dir);
        Assert.DoesNotContain("base_model.vera_A", ReadAll(dir).Keys);
        using var fresh = new TinyTransformer(1);
        AdapterModel.Load(fresh, dir);
        using var y2 = Kit.Forward(fresh, x);
        Assert.Equal(0f, Kit.MaxAbsDiff(y, y2));
    }

    [Fact]
    public void AdaLoRA_saves_only_the_kept_triplets_with_PEFTs_rank_pattern_and_loads_back()
    {
        var dir = TestSupport.TempDir("adalora-pattern");
        using var net = new TinyTransformer(1);
        var am = Methods.Build("adalora", net);
        using (var x = TinyTransformer.Input(2))
        using (var loss = net.call(x).pow(2).sum())
            loss.backward();
        am.RankAllocator!.UpdateImportance();
        var pattern = am.RankAllocator.MaskToBudget(40);
        using var xin = TinyTransformer.Input(3);
        using var y = Kit.Forward(net, xin);
        am.Save(dir);

        var c = Config(dir);
        var saved = c["rank_pattern"]!["layers.0.mlp.fc1.lora_E"]!.AsArray().Select(n => (bool)n!).ToArray();
        Assert.Equal(pattern["layers.0.mlp.fc1"], saved);
        var kept = saved.Count(k => k);
        Assert.Equal(new long[] { kept, 16 }, ReadAll(dir)["base_model.model.layers.0.mlp.fc1.lora_A"].shape);

        using var fresh = new TinyTransformer(1);
        var loaded = AdapterModel.Load(fresh, dir);
        Assert.Equal(kept, ((AdaLoraLinear)loaded["layers.0.mlp.fc1"]).Rank);
        Assert.Equal(40, loaded.Layers.Cast<AdaLoraLinear>().Sum(l => l.Rank));
        using var y2 = Kit.Forward(fresh, xin);
        Assert.True(Kit.MaxAbsDiff(y, y2) <= 1e-6);
    }

    [Fact]
    public void Modules_to_save_are_saved_whole_under_PEFTs_keys()
    {
        var dir = TestSupport.TempDir("mts");
        using var x = TinyTransformer.Input(2);
        using var net = new TinyTransformer(1);
        var am = AdapterModel.Inject(net, Kit.Lora(targets: ["fc1"]) with { ModulesToSave = ["classifier"] });
        var head = am.NamedTrainableParameters().Single(p => p.Name == "classifier.weight").Parameter;
        Kit.Perturb(head, 4, 0.5);
        using var y = Kit.Forward(net, x);
        am.Save(dir);
        Assert.Contains("base_model.model.classifier.weight", ReadAll(dir).Keys);
        Assert.Equal(["classifier"], Config(dir)["modules_to_save"]!.AsArray().Select(n => (string)n!));
        using var fresh = new TinyTransformer(1);
        AdapterModel.Load(fresh, dir);
        using var y2 = Kit.Forward(fresh, x);
        Assert.Equal(0f, Kit.MaxAbsDiff(y, y2));
    }

    private static string SavedPartial(string name)
    {
        var dir = TestSupport.TempDir(name);
        using var net = new TinyTransformer(1);
        Methods.Build("partial-dense", net).Save(dir);
        return dir;
    }

    private static InvalidDataException LoadFails(string dir)
    {
        using var fresh = new TinyTransformer(1);
        var e = Assert.Throws<InvalidDataException>(() => AdapterModel.Load(fresh, dir));
        Assert.DoesNotContain(fresh.named_modules(), m => m.module is AdapterLayer); // a failed load leaves the model untouched
        return e;
    }

    [Fact]
    public void Mask_shape_mismatch_on_load_is_an_error_naming_the_tensor()
    {
        var dir = SavedPartial("bad-mask");
        var t = ReadAll(dir);
        t["base_model.model.layers.0.mlp.fc1.u_row"] = torch.ones(new long[] { 23 }, ScalarType.Bool);
        WriteAll(dir, t);
        var e = LoadFails(dir);
        Assert.Contains("'base_model.model.layers.0.mlp.fc1.u_row' has shape [23], expected [24]", e.Message);
    }

    [Fact]
    public void Corrupt_truncated_or_inconsistent_files_are_errors()
    {
        var dir = SavedPartial("corrupt");
        var weights = Path.Combine(dir, AdapterKeys.WeightsFile);
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length - 10)]);
        Assert.Contains("invalid safetensors file", LoadFails(dir).Message);
        File.WriteAllBytes(weights, "not a safetensors file at all"u8.ToArray());
        Assert.Contains("invalid safetensors file", LoadFails(dir).Message);

        dir = SavedPartial("missing");
        var t = ReadAll(dir);
        t.Remove("base_model.model.layers.1.self_attn.v_proj.lora_B.weight");
        WriteAll(dir, t);
        Assert.Contains("missing tensor 'base_model.model.layers.1.self_attn.v_proj.lora_B.weight'", LoadFails(dir).Message);

        dir = SavedPartial("extra");
        t = ReadAll(dir);
        t["base_model.model.layers.0.mlp.fc3.lora_A.weight"] = torch.zeros(4, 16);
        WriteAll(dir, t);
        Assert.Contains("belong to no adapter of this model: base_model.model.layers.0.mlp.fc3.lora_A.weight", LoadFails(dir).Message);

        dir = SavedPartial("outside");
        t = ReadAll(dir);
        t["base_model.model.layers.0.mlp.fc1.lora_B.weight"] = torch.ones(24, 4);
        WriteAll(dir, t);
        Assert.Contains("nonzero entries where its mask is 0", LoadFails(dir).Message);

        dir = SavedPartial("config");
        var c = Config(dir);
        c["peft_type"] = "LOHA";
        File.WriteAllText(Path.Combine(dir, AdapterKeys.ConfigFile), c.ToJsonString());
        Assert.Contains("peft_type 'LOHA' is not supported", LoadFails(dir).Message);
        c["peft_type"] = "LORA";
        c["r"] = 0;
        File.WriteAllText(Path.Combine(dir, AdapterKeys.ConfigFile), c.ToJsonString());
        Assert.Contains("rank must be a positive integer", LoadFails(dir).Message);
        c["r"] = 4;
        c["target_parameters"] = new JsonArray("layers.0.mlp.fc1.weight");
        File.WriteAllText(Path.Combine(dir, AdapterKeys.ConfigFile), c.ToJsonString());
        var tp = LoadFails(dir).Message;
        Assert.Contains("'target_parameters' = [", tp);
        Assert.Contains("is not implemented here", tp);
        c["target_parameters"] = null;
        c["fan_in_fan_out"] = true;
        File.WriteAllText(Path.Combine(dir, AdapterKeys.ConfigFile), c.ToJsonString());
        Assert.Contains("'fan_in_fan_out' = true is not supported", LoadFails(dir).Message);
        File.WriteAllText(Path.Combine(dir, AdapterKeys.ConfigFile), "{ not json");
        Assert.Contains("not valid JSON", LoadFails(dir).Message);
        File.Delete(Path.Combine(dir, AdapterKeys.ConfigFile));
        using var fresh = new TinyTransformer(1);
        Assert.Throws<FileNotFoundException>(() => AdapterModel.Load(fresh, dir));
    }

    [Fact]
    public void A_PEFT_style_LoRA_file_without_our_extension_loads_as_plain_LoRA()
    {
        var dir = TestSupport.TempDir("peft-style");
        using var net = new TinyTransformer(1);
        var tensors = new Dictionary<string, Tensor>();
        using var g = new torch.Generator(1);
        foreach (var block in new[] { "layers.0", "layers.1" })
        {
            tensors[$"base_model.model.{block}.self_attn.q_proj.lora_A.weight"] = torch.randn(new long[] { 2, 16 }, generator: g);
            tensors[$"base_model.model.{block}.self_attn.q_proj.lora_B.weight"] = torch.randn(new long[] { 16, 2 }, generator: g);
        }
        WriteAll(dir, tensors);
        File.WriteAllText(Path.Combine(dir, AdapterKeys.ConfigFile), """
            {"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"], "lora_dropout": 0.0, "bias": "none",
             "fan_in_fan_out": false, "init_lora_weights": true, "use_rslora": false, "use_dora": false, "task_type": null,
             "some_future_field": 3}
            """);
        var am = AdapterModel.Load(net, dir);
        var l = (LoraLinear)am["layers.1.self_attn.q_proj"];
        Assert.Equal(2.0, l.Scaling);
        Assert.Equal(0f, Kit.MaxAbsDiff(l.A, tensors["base_model.model.layers.1.self_attn.q_proj.lora_A.weight"]));
        using var dw = l.DeltaWeight();
        using var expected = tensors["base_model.model.layers.1.self_attn.q_proj.lora_B.weight"].matmul(tensors["base_model.model.layers.1.self_attn.q_proj.lora_A.weight"]) * 2;
        Assert.True(Kit.MaxAbsDiff(dw, expected) < 1e-6);
    }
}

public class CompactFileTests
{
    public CompactFileTests() => _ = TestSupport.Torch;

    [Theory]
    [InlineData("partial-compact")]
    [InlineData("partial-adalora-compact")]
    public void Compact_file_layout_shrinks_the_file_and_loads_back(string method)
    {
        using var x = TinyTransformer.Input(2);
        using var net = new TinyTransformer(1);
        var am = Methods.Build(method, net);
        using var y = Kit.Forward(net, x);
        var peft = TestSupport.TempDir("peft-layout");
        var compact = TestSupport.TempDir("compact-layout");
        am.Save(peft);
        am.Save(compact, compactFile: true);
        var peftBytes = new FileInfo(Path.Combine(peft, AdapterKeys.WeightsFile)).Length;
        var compactBytes = new FileInfo(Path.Combine(compact, AdapterKeys.WeightsFile)).Length;
        Assert.True(compactBytes < 0.8 * peftBytes, $"{compactBytes} vs {peftBytes} bytes");
        Assert.Equal("compact", (string)JsonNode.Parse(File.ReadAllText(Path.Combine(compact, AdapterKeys.ConfigFile)))!["partial_lora"]!["file_layout"]!);
        using var fresh = new TinyTransformer(1);
        AdapterModel.Load(fresh, compact);
        using var y2 = Kit.Forward(fresh, x);
        Assert.True(Kit.MaxAbsDiff(y, y2) <= 1e-6);
    }

    [Fact]
    public void Compact_file_layout_needs_compact_storage()
    {
        using var net = new TinyTransformer(1);
        var am = Methods.Build("partial-dense", net);
        Assert.Contains("compact storage", Assert.Throws<ArgumentException>(() => am.Save(TestSupport.TempDir("x"), compactFile: true)).Message);
    }
}
