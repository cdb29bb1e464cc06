using PartialLoRA.Adapters;
using PartialLoRA.Adapters.Layers;
using PartialLoRA.Adapters.Masks;
using PartialLoRA.Sparsity;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Benchmarks;

/// <summary>
/// The fused adapter forward passes (addmm with the scaling folded in, VeRA's scalings folded into the factors,
/// compact factors expanded instead of gather/scatter, DoRA as g ⊙ (xWᵀ + s·xAᵀBᵀ) + b) against the unfused
/// formulas they replaced, in float32 on the CPU: outputs and every gradient within 1e-5.
/// </summary>
public sealed class FusedAdapterPathTests
{
    private const int In = 12, Hidden = 20, Out = 12;

    /// <summary>x → fc1 → GELU → fc2, both Linear layers adapted.</summary>
    private sealed class Net : nn.Module<Tensor, Tensor>
    {
        public nn.Module<Tensor, Tensor> fc1;
        public nn.Module<Tensor, Tensor> fc2;

        public Net(long seed) : base(nameof(Net))
        {
            fc1 = nn.Linear(In, Hidden);
            fc2 = nn.Linear(Hidden, Out);
            RegisterComponents();
            using var g = new Generator((ulong)seed);
            using var _ = torch.no_grad();
            foreach (var p in parameters()) p.uniform_(-0.4, 0.4, generator: g);
        }

        public override Tensor forward(Tensor x) => fc2.call(nn.functional.gelu(fc1.call(x)));
    }

    private static readonly TargetModules Both = TargetModules.Of("fc1", "fc2");

    private static Dictionary<string, LayerSparsity> Plan(double keep) => new()
    {
        ["fc1"] = new LayerSparsity("fc1", Hidden, In, (int)Math.Round(keep * Hidden), (int)Math.Round(keep * In)),
        ["fc2"] = new LayerSparsity("fc2", Out, Hidden, (int)Math.Round(keep * Out), (int)Math.Round(keep * Hidden)),
    };

    public static TheoryData<string> Methods => new()
    {
        "lora", "lora-rowcol-dense", "lora-element", "lora-compact", "dora", "vera", "adalora", "adalora-compact",
    };

    private static AdapterConfig Config(string method) => method switch
    {
        "lora" => new LoraConfig { TargetModules = Both, R = 4, Alpha = 6, Init = LoraInit.Random, Seed = 3 },
        "lora-rowcol-dense" => new LoraConfig { TargetModules = Both, R = 4, Alpha = 6, Init = LoraInit.Random, Seed = 3, Masks = new PartialMasks(Plan(0.5), 5), Storage = MaskStorage.Dense },
        "lora-element" => new LoraConfig { TargetModules = Both, R = 4, Alpha = 6, Init = LoraInit.Random, Seed = 3, Masks = ElementMasks.Balanced(0.6, 5), Storage = MaskStorage.Dense },
        "lora-compact" => new LoraConfig { TargetModules = Both, R = 4, Alpha = 6, Init = LoraInit.Random, Seed = 3, Masks = new PartialMasks(Plan(0.5), 5), Storage = MaskStorage.Compact },
        "dora" => new LoraConfig { TargetModules = Both, R = 4, Alpha = 6, Init = LoraInit.Random, Seed = 3, UseDora = true },
        "vera" => new VeraConfig { TargetModules = Both, R = 6, ProjectionPrngKey = 7, DInitial = 0.3, Seed = 3 },
        "adalora" => new AdaLoraConfig { TargetModules = Both, InitR = 4, TargetR = 2, TotalStep = 10, Seed = 3 },
        "adalora-compact" => new AdaLoraConfig { TargetModules = Both, InitR = 4, TargetR = 2, TotalStep = 10, Seed = 3, Masks = new PartialMasks(Plan(0.5), 5), Storage = MaskStorage.Compact },
        _ => throw new ArgumentException(method),
    };

    // Give factors that start at zero (VeRA's b, AdaLoRA's Λ) non-zero values, so every term is exercised.
    private static void MakeNonTrivial(AdapterModel model)
    {
        using var g = new Generator(17);
        using var _ = torch.no_grad();
        foreach (var layer in model.Layers)
            foreach (var (_, p) in layer.AdapterParameters())
                if (p.abs().max().item<float>() == 0) p.uniform_(-0.5, 0.5, generator: g);
    }

    /// <summary>The formulas the layers computed before the fusion (PEFT's forms).</summary>
    private static Tensor Unfused(AdapterLayer layer, Tensor x)
    {
        var baseOut = layer.BaseLayer.call(x);
        switch (layer)
        {
            case LoraLinear l:
                return baseOut.add(nn.functional.linear(nn.functional.linear(x, l.EffectiveA()), l.EffectiveB()), l.Scaling);
            case CompactLoraLinear c:
                using (var cols = torch.tensor(c.Mask.ColIndices.Select(i => (long)i).ToArray()))
                using (var rows = torch.tensor(c.Mask.RowIndices.Select(i => (long)i).ToArray()))
                {
                    var y = nn.functional.linear(nn.functional.linear(x.index_select(-1, cols), c.A), c.B).mul(c.Scaling);
                    return baseOut.index_add(-1, rows, y, 1);
                }
            case DoraLinear d:
            {
                var w = d.BaseLayer.weight!;
                Tensor norm;
                using (torch.no_grad()) norm = torch.linalg.vector_norm(w + d.B.matmul(d.A) * d.Scaling, 2, new long[] { 1 });
                var scale = (d.Magnitude / norm).view(1, -1);
                var lora = nn.functional.linear(nn.functional.linear(x, d.A), d.B);
                return baseOut + (scale - 1) * nn.functional.linear(x, w) + scale * lora * d.Scaling;
            }
            case VeraLinear v:
            {
                var a = v.Projections.A.narrow(1, 0, v.InFeatures);
                var b = v.Projections.B.narrow(0, 0, v.OutFeatures);
                return baseOut + v.LambdaB * nn.functional.linear(v.LambdaD * nn.functional.linear(x, a), b);
            }
            case AdaLoraLinear a:
            {
                var scale = a.Alpha / (double)((float)a.InitialRank + 1e-5f);
                return baseOut.add(x.matmul((a.DenseA() * a.E).t()).matmul(a.DenseB().t()), scale);
            }
            default:
                throw new ArgumentException(layer.GetType().Name);
        }
    }

    private sealed class UnfusedNet(Net net, AdapterModel model) : nn.Module<Tensor, Tensor>("UnfusedNet")
    {
        public override Tensor forward(Tensor x)
        {
            var l1 = model["fc1"];
            var l2 = model["fc2"];
            _ = net;
            return Unfused(l2, nn.functional.gelu(Unfused(l1, x)));
        }
    }

    private static (Tensor Output, Dictionary<string, Tensor> Grads) Run(AdapterModel model, Func<Tensor, Tensor> f, Tensor x, Tensor cot)
    {
        foreach (var p in model.TrainableParameters()) p.grad = null;
        x.grad = null;
        var y = f(x);
        (y * cot).sum().backward();
        var grads = model.NamedTrainableParameters().ToDictionary(p => p.Name, p => p.Parameter.grad!.detach().clone());
        grads["x"] = x.grad!.detach().clone();
        return (y.detach(), grads);
    }

    private static double MaxDiff(Tensor a, Tensor b)
    {
        using var d = (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max();
        return d.item<double>();
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Fused_forward_and_gradients_equal_the_unfused_formulas(string method)
    {
        _ = TestSupport.Torch;
        using var scope = torch.NewDisposeScope();
        var net = new Net(1);
        var model = AdapterModel.Inject(net, Config(method));
        MakeNonTrivial(model);
        using var g = new Generator(9);
        var x = torch.randn([2, 5, In], generator: g).requires_grad_(true);
        var cot = torch.randn([2, 5, Out], generator: g);

        var (yFused, gFused) = Run(model, net.call, x, cot);
        var unfused = new UnfusedNet(net, model);
        var (yRef, gRef) = Run(model, unfused.call, x, cot);

        Assert.True(MaxDiff(yFused, yRef) <= 1e-5, $"{method}: outputs differ by {MaxDiff(yFused, yRef):E2}");
        Assert.Equal(gRef.Keys.Order(), gFused.Keys.Order());
        foreach (var (name, gr) in gRef)
        {
            var tol = 1e-5 * Math.Max(1, gr.abs().max().item<float>());
            Assert.True(MaxDiff(gFused[name], gr) <= tol, $"{method}: gradient of {name} differs by {MaxDiff(gFused[name], gr):E2}");
        }
    }

    [Theory]
    [InlineData("lora")]
    [InlineData("lora-compact")]
    [InlineData("dora")]
    [InlineData("vera")]
    [InlineData("adalora")]
    public void Activation_dtype_mode_runs_the_adapter_in_bf16_and_trains_float32_parameters(string method)
    {
        _ = TestSupport.Torch;
        using var scope = torch.NewDisposeScope();
        // Reference: the same bf16-rounded base in float32.
        var reference = new Net(1);
        using (torch.no_grad())
            foreach (var p in reference.parameters()) p.copy_(p.to(ScalarType.BFloat16).to(ScalarType.Float32));
        var refModel = AdapterModel.Inject(reference, Config(method));
        MakeNonTrivial(refModel);

        var net = new Net(1);
        net.to(ScalarType.BFloat16);
        var model = AdapterModel.Inject(net, Config(method));
        MakeNonTrivial(model);
        foreach (var l in model.Layers) l.Compute = AdapterCompute.ActivationDtype;
        Assert.All(model.TrainableParameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));

        using var g = new Generator(9);
        var x = torch.randn([2, 5, In], generator: g);
        var cot = torch.randn([2, 5, Out], generator: g);
        var (yRef, gRef) = Run(refModel, reference.call, x.clone().requires_grad_(true), cot);
        var (y, grads) = Run(model, net.call, x.to(ScalarType.BFloat16).requires_grad_(true), cot.to(ScalarType.BFloat16));

        Assert.Equal(ScalarType.BFloat16, y.dtype);
        var scale = yRef.abs().max().item<float>();
        Assert.True(MaxDiff(y, yRef) <= 0.05 * scale, $"{method}: bf16 output differs by {MaxDiff(y, yRef):E2} (scale {scale})");
        foreach (var (name, gr) in gRef.Where(kv => kv.Key != "x"))
        {
            Assert.Equal(ScalarType.Float32, grads[name].dtype);
            var norm = gr.norm().item<float>();
            var err = (grads[name] - gr).norm().item<float>();
            Assert.True(err <= 0.05 * norm + 1e-6, $"{method}: gradient of {name} is off by {err:E2} (norm {norm:E2}) in bf16");
        }
    }
}
