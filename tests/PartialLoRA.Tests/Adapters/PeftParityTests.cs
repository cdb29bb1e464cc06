using System.Text.Json.Nodes;
using PartialLoRA.Adapters;
using PartialLoRA.Adapters.Layers;
using PartialLoRA.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Adapters;

/// <summary>Where the PEFT parity fixtures live and whether they exist.</summary>
public static class PeftFixtures
{
    public static readonly string[] Methods = ["lora", "dora", "vera"];

    /// <summary>tests/fixtures/peft of this checkout (found from the test binary's folder upwards).</summary>
    public static string Root
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "PartialLoRA.Notebooks.sln")))
                    return Path.Combine(d.FullName, "tests", "fixtures", "peft");
            throw new DirectoryNotFoundException("the repository root (PartialLoRA.Notebooks.sln) is not above the test binaries");
        }
    }

    public static string? Missing =>
        Methods.All(m => File.Exists(Path.Combine(Root, m, "io.safetensors"))) ? null
            : "PEFT fixtures not generated yet: run tools/parity/make_peft_fixtures.py where PyTorch + PEFT 0.21 exist (tools/parity/README.md)";

    public static string? OursCheckMissing =>
        File.Exists(Path.Combine(Root, "ours", "peft_check.json")) ? null
            : "PEFT has not checked our saved adapters yet: run tools/parity/make_peft_fixtures.py (it writes tests/fixtures/peft/ours/peft_check.json)";

    public const string ExportVariable = "PARTIALLORA_PARITY_EXPORT";

    public static string? ExportNotRequested =>
        Environment.GetEnvironmentVariable(ExportVariable) is { Length: > 0 } ? null
            : $"writes tests/fixtures/peft/ours only on request: set {ExportVariable}=<folder>";
}

/// <summary>
/// Numerical parity with HF PEFT on <see cref="TinyTransformer"/> (fixtures from tools/parity/make_peft_fixtures.py),
/// and the adapters we save for PEFT to check.
/// </summary>
public class PeftParityTests
{
    public PeftParityTests() => _ = TestSupport.Torch;

    private static TinyTransformer WithBase(string folder)
    {
        var net = new TinyTransformer(0);
        using var ck = TensorCheckpoint.Open(Path.Combine(folder, "base_model.safetensors"));
        StateDictLoader.Load(net, ck);
        return net;
    }

    [RequiresTheory(typeof(PeftFixtures), nameof(PeftFixtures.Missing))]
    [InlineData("lora")]
    [InlineData("dora")]
    [InlineData("vera")]
    public void Outputs_and_gradients_match_PEFT_within_1e_5(string method)
    {
        var folder = Path.Combine(PeftFixtures.Root, method);
        using var net = WithBase(folder);
        using var io = SafetensorsFile.Open(Path.Combine(folder, "io.safetensors"));
        using var x = io.Load("x");
        using var cot = io.Load("cotangent");
        using (var baseOut = Kit.Forward(net, x))
        using (var expected = io.Load("base_output"))
            Assert.True(Kit.MaxAbsDiff(baseOut, expected) <= 1e-5, $"the C# twin of the base model differs by {Kit.MaxAbsDiff(baseOut, expected)}");

        var am = AdapterModel.Load(net, folder);
        using (var y = Kit.Forward(net, x))
        using (var expected = io.Load("output"))
            Assert.True(Kit.MaxAbsDiff(y, expected) <= 1e-5, $"{method}: outputs differ by {Kit.MaxAbsDiff(y, expected)}");

        var grads = Kit.Gradients(am, net, x, cot);
        var peftKeys = io.Entries.Select(e => e.Name).Where(n => n.StartsWith("grad.")).Select(n => n["grad.".Length..]).ToHashSet();
        var ours = new HashSet<string>();
        foreach (var layer in am.Layers)
        {
            foreach (var (name, _) in layer.AdapterParameters())
            {
                var key = "base_model.model." + layer.ModulePath + "." + name;
                ours.Add(key);
                using var expected = io.Load("grad." + key);
                var got = grads[layer.ModulePath + "." + name];
                Assert.True(Kit.MaxAbsDiff(got, expected) <= 1e-5, $"{method}: gradient of {key} differs by {Kit.MaxAbsDiff(got, expected)}");
            }
        }
        Assert.Equal(peftKeys.Order(), ours.Order());

        if (am.VeraProjections is { } p)
        {
            // PEFT's seeded kaiming init of the shared projections, reproduced from the key alone.
            using var mine = VeraProjections.Create(p.Rank, p.MaxOut, p.MaxIn, ((VeraConfig)am.Config).ProjectionPrngKey);
            Assert.True(Kit.MaxAbsDiff(mine.A, p.A) <= 1e-6);
            Assert.True(Kit.MaxAbsDiff(mine.B, p.B) <= 1e-6);
        }
    }

    [RequiresFact(typeof(PeftFixtures), nameof(PeftFixtures.OursCheckMissing))]
    public void Adapters_we_saved_load_in_PEFT_with_the_same_outputs()
    {
        var check = JsonNode.Parse(File.ReadAllText(Path.Combine(PeftFixtures.Root, "ours", "peft_check.json")))!;
        var adapters = check["adapters"]!.AsObject();
        Assert.Equal(OursMethods.Order(), adapters.Select(a => a.Key).Order());
        foreach (var (name, entry) in adapters)
            Assert.True((bool)entry!["ok"]!, $"ours/{name} in PEFT: {entry.ToJsonString()}");
    }

    private static readonly string[] OursMethods = ["lora", "dora", "vera", "partial-compact", "adalora"];

    /// <summary>
    /// Writes tests/fixtures/peft/ours/&lt;method&gt;: our base weights, our saved adapter, the fixed input and our
    /// outputs (and gradients for the unmasked methods) for make_peft_fixtures.py to check in PEFT.
    /// </summary>
    [RequiresFact(typeof(PeftFixtures), nameof(PeftFixtures.ExportNotRequested))]
    public void Export_our_adapters_for_PEFT_to_check()
    {
        var root = Environment.GetEnvironmentVariable(PeftFixtures.ExportVariable)!;
        using var x = TinyTransformer.Input(7);
        using var cot = TestSupport.Randn(8, 3, TinyTransformer.Classes);
        foreach (var method in OursMethods)
        {
            var folder = Path.Combine(root, method);
            Directory.CreateDirectory(folder);
            using var net = new TinyTransformer(21);
            SafetensorsWriter.Save(Path.Combine(folder, "base_model.safetensors"), net.state_dict().Select(kv => (kv.Key, kv.Value)));
            using var baseOut = Kit.Forward(net, x);
            var am = Methods.Build(method, net);
            if (am.RankAllocator is { } ra)
            {
                using (var loss = net.call(x).pow(2).sum()) loss.backward();
                ra.UpdateImportance();
                ra.MaskToBudget(ra.InitialBudget - 20);
            }
            am.Save(folder, baseModelName: "TinyTransformer (tests/PartialLoRA.Tests/Adapters/TinyModels.cs)");
            var io = new List<(string, Tensor)> { ("x", x), ("cotangent", cot), ("base_output", baseOut) };
            using (var y = Kit.Forward(net, x)) io.Add(("output", y.clone()));
            var masked = am.Layers.Any(l => l is CompactLoraLinear or LoraLinear { RowColMask: not null } or LoraLinear { ElementMask: not null });
            if (!masked && am.RankAllocator == null)
            {
                var grads = Kit.Gradients(am, net, x, cot);
                foreach (var layer in am.Layers)
                    foreach (var (name, _) in layer.AdapterParameters())
                        io.Add(("grad.base_model.model." + layer.ModulePath + "." + name, grads[layer.ModulePath + "." + name]));
            }
            SafetensorsWriter.Save(Path.Combine(folder, "io.safetensors"), io);
        }
    }
}
