using PartialLoRA.Adapters;
using PartialLoRA.Adapters.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Adapters;

public class InjectionTests
{
    public InjectionTests() => _ = TestSupport.Torch;

    [Fact]
    public void Name_list_matches_exact_paths_and_dotted_suffixes_as_PEFT_does()
    {
        var t = TargetModules.Of("q_proj", "layers.1.mlp.fc1");
        Assert.True(t.Matches("q_proj"));
        Assert.True(t.Matches("layers.0.self_attn.q_proj"));
        Assert.True(t.Matches("layers.1.mlp.fc1"));
        Assert.False(t.Matches("layers.0.mlp.fc1"));
        Assert.False(t.Matches("layers.0.self_attn.xq_proj"));
        Assert.False(t.Matches("layers.0.self_attn.q_proj.base_layer"));
    }

    [Fact]
    public void Regex_form_must_match_the_whole_path()
    {
        var t = TargetModules.Regex(@"layers\.\d+\.self_attn\.(q|v)_proj");
        Assert.True(t.Matches("layers.0.self_attn.q_proj"));
        Assert.True(t.Matches("layers.12.self_attn.v_proj"));
        Assert.False(t.Matches("layers.0.self_attn.k_proj"));
        Assert.False(t.Matches("x.layers.0.self_attn.q_proj"));
        Assert.Throws<ArgumentException>(() => TargetModules.Regex("("));
    }

    [Fact]
    public void Wraps_fields_and_ModuleList_items_keeping_module_order_and_freezing_the_base()
    {
        using var net = new TinyTransformer(1);
        var before = net.named_modules().Select(m => m.name).ToList();
        var am = AdapterModel.Inject(net, Kit.Lora(targets: ["q_proj", "v_proj", "fc2"]));

        Assert.Equal(6, am.Layers.Count);
        Assert.Equal(["layers.0.self_attn.q_proj", "layers.0.self_attn.v_proj", "layers.0.mlp.fc2",
            "layers.1.self_attn.q_proj", "layers.1.self_attn.v_proj", "layers.1.mlp.fc2"], am.Layers.Select(l => l.ModulePath));
        var after = net.named_modules().Select(m => m.name).Where(n => !n.Contains(".lora_") && !n.EndsWith(".base_layer")).ToList();
        Assert.Equal(before, after);
        Assert.IsType<LoraLinear>(ModuleAt(net, "layers.1.mlp.fc2"));

        var trainable = am.NamedTrainableParameters().Select(p => p.Name).ToList();
        Assert.Equal(12, trainable.Count);
        Assert.All(trainable, n => Assert.Matches(@"\.lora_[AB]\.weight$", n));
        Assert.Contains("layers.0.self_attn.q_proj.base_layer.weight", net.named_parameters().Select(p => p.name));
    }

    [Fact]
    public void ModuleList_items_are_replaced_by_index()
    {
        using var mlp = new TinyMlp(2);
        var before = mlp.named_modules().Select(m => m.name).ToList();
        var am = AdapterModel.Inject(mlp, Kit.Lora(targets: ["layers.0", "layers.1"]));
        Assert.Equal(["layers.0", "layers.1"], am.Layers.Select(l => l.ModulePath));
        Assert.Equal(before, mlp.named_modules().Select(m => m.name).Where(n => !n.Contains(".lora_") && !n.EndsWith(".base_layer")));
        Assert.Equal(["layers.0.lora_A.weight", "layers.0.lora_B.weight", "layers.1.lora_A.weight", "layers.1.lora_B.weight"],
            am.NamedTrainableParameters().Select(p => p.Name));
        using var x = torch.randn(4, 6);
        using var y = mlp.call(x);
        Assert.Equal(new long[] { 4, 3 }, y.shape);
    }

    [Fact]
    public void Exclude_modules_and_modules_to_save()
    {
        using var net = new TinyTransformer(1);
        var am = AdapterModel.Inject(net, Kit.Lora(targets: ["q_proj"]) with
        {
            ExcludeModules = TargetModules.Of("layers.1.self_attn.q_proj"),
            ModulesToSave = ["classifier"],
        });
        Assert.Equal(["layers.0.self_attn.q_proj"], am.Layers.Select(l => l.ModulePath));
        var names = am.NamedTrainableParameters().Select(p => p.Name).ToList();
        Assert.Contains("classifier.weight", names);
        Assert.Contains("classifier.bias", names);
        Assert.Equal(4L * (16 + 16) + 16 * 5 + 5, am.TrainableParameterCount);
    }

    [Fact]
    public void Unload_restores_the_base_model()
    {
        using var net = new TinyTransformer(3);
        using var x = TinyTransformer.Input(4);
        using var y0 = Kit.Forward(net, x);
        var am = AdapterModel.Inject(net, Kit.Lora());
        using (var y1 = Kit.Forward(net, x)) Assert.True(Kit.MaxAbsDiff(y0, y1) > 1e-4);
        am.Unload();
        Assert.DoesNotContain(net.named_modules(), m => m.module is AdapterLayer);
        using var y2 = Kit.Forward(net, x);
        Assert.Equal(0f, Kit.MaxAbsDiff(y0, y2));
        AdapterModel.Inject(net, Kit.Lora());
    }

    [Fact]
    public void Clear_errors_for_bad_targets()
    {
        using var net = new TinyTransformer(1);
        var none = Assert.Throws<ArgumentException>(() => AdapterModel.Inject(net, Kit.Lora(targets: ["query"])));
        Assert.Contains("no module matches the target modules [query]", none.Message);
        Assert.Contains("layers.0.self_attn.q_proj", none.Message);

        var notLinear = Assert.Throws<ArgumentException>(() => AdapterModel.Inject(net, Kit.Lora(targets: ["norm1"])));
        Assert.Contains("'layers.0.norm1' is a LayerNorm", notLinear.Message);

        using var concrete = new ConcreteFieldModel();
        var field = Assert.Throws<InvalidOperationException>(() => AdapterModel.Inject(concrete, Kit.Lora(targets: ["proj"])));
        Assert.Contains("module 'proj'", field.Message);
        Assert.Contains("ConcreteFieldModel.proj", field.Message);
        Assert.Contains("Module<Tensor,Tensor>", field.Message);
        Assert.IsType<Linear>(ModuleAt(concrete, "proj"));

        AdapterModel.Inject(net, Kit.Lora());
        var twice = Assert.Throws<InvalidOperationException>(() => AdapterModel.Inject(net, Kit.Lora()));
        Assert.Contains("already has adapters", twice.Message);
    }

    [Fact]
    public void Clear_errors_for_bad_configs()
    {
        using var net = new TinyTransformer(1);
        Assert.Contains("rank must be a positive integer, got 0",
            Assert.Throws<ArgumentException>(() => AdapterModel.Inject(net, Kit.Lora(r: 0))).Message);
        Assert.Contains("LoraConfig.R", Assert.Throws<ArgumentException>(() => AdapterModel.Inject(net, Kit.Lora(r: -2))).Message);
        Assert.Contains("LoraConfig.Dropout", Assert.Throws<ArgumentException>(() => AdapterModel.Inject(net, Kit.Lora() with { Dropout = 1.5 })).Message);
        Assert.Contains("VeraConfig.R", Assert.Throws<ArgumentException>(() =>
            AdapterModel.Inject(net, new VeraConfig { TargetModules = TargetModules.Of("fc1"), R = 0 })).Message);
        Assert.Contains("AdaLoraConfig.TargetR", Assert.Throws<ArgumentException>(() =>
            AdapterModel.Inject(net, new AdaLoraConfig { TargetModules = TargetModules.Of("fc1"), InitR = 4, TargetR = 6, TotalStep = 10 })).Message);
        Assert.Contains("MaskingConfig.Density", Assert.Throws<ArgumentException>(() =>
            AdapterModel.Inject(net, new MaskingConfig { TargetModules = TargetModules.Of("fc1"), Density = 0 })).Message);
        Assert.DoesNotContain(net.named_modules(), m => m.module is AdapterLayer);
    }

    internal static nn.Module ModuleAt(nn.Module root, string path) => root.named_modules().Single(m => m.name == path).module;
}
