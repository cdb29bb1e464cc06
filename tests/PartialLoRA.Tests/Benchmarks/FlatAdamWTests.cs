using PartialLoRA.Benchmarks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Benchmarks;

public sealed class FlatAdamWTests
{
    private sealed class Net : nn.Module<Tensor, Tensor>
    {
        public Linear a;
        public Linear b;

        public Net(long seed) : base(nameof(Net))
        {
            a = nn.Linear(6, 5);
            b = nn.Linear(5, 3);
            RegisterComponents();
            using var g = new Generator((ulong)seed);
            using var _ = torch.no_grad();
            foreach (var p in parameters()) p.uniform_(-0.5, 0.5, generator: g);
        }

        public override Tensor forward(Tensor x) => b.call(nn.functional.tanh(a.call(x)));
    }

    private static (Tensor X, Tensor Y) Data()
    {
        using var g = new Generator(3);
        return (torch.randn([16, 6], generator: g), torch.randn([16, 3], generator: g));
    }

    private static double MaxDiff(Tensor a, Tensor b)
    {
        using var d = (a.detach().to(ScalarType.Float64) - b.detach().to(ScalarType.Float64)).abs().max();
        return d.item<double>();
    }

    [Fact]
    public void Matches_TorchSharp_AdamW_step_for_step()
    {
        _ = TestSupport.Torch;
        using var scope = torch.NewDisposeScope();
        var (x, y) = Data();
        var flatNet = new Net(1);
        var refNet = new Net(1);
        var flat = new FlatAdamW(flatNet.parameters().ToList(), lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01);
        var reference = optim.AdamW(refNet.parameters(), lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01);
        for (var step = 0; step < 6; step++)
        {
            flat.ZeroGrad();
            nn.functional.mse_loss(flatNet.call(x), y).backward();
            flat.Step();
            reference.zero_grad();
            nn.functional.mse_loss(refNet.call(x), y).backward();
            reference.step();
        }
        foreach (var ((name, p), (_, q)) in flatNet.named_parameters().Zip(refNet.named_parameters()))
            Assert.True(MaxDiff(p, q) <= 1e-6, $"{name} differs from torch.optim.AdamW by {MaxDiff(p, q):E2}");
        Assert.Equal(6, flat.Steps);
        Assert.Equal(2 * 4 * (6 * 5 + 5 + 5 * 3 + 3), flat.MomentBytes);
        Assert.Equal(0, flat.MasterBytes);
    }

    [Fact]
    public void Parameters_stay_the_modules_own_and_gradients_land_in_the_flat_buffer()
    {
        _ = TestSupport.Torch;
        using var scope = torch.NewDisposeScope();
        var (x, y) = Data();
        var net = new Net(2);
        var before = net.a.weight!.detach().clone();
        var paramsBefore = net.parameters().ToList();
        var flat = new FlatAdamW(paramsBefore, lr: 0.1);
        Assert.True(MaxDiff(net.a.weight!, before) == 0, "re-pointing changed the values");
        Assert.Same(paramsBefore[0], net.parameters().First());

        flat.ZeroGrad();
        nn.functional.mse_loss(net.call(x), y).backward();
        var concatenated = torch.cat(net.parameters().Select(p => p.grad!.flatten()).ToList(), 0);
        Assert.True(MaxDiff(concatenated, flat.FlatGradient) == 0, "parameter gradients are not the flat buffer's slices");
        flat.Step();
        Assert.True(MaxDiff(net.a.weight!, before) > 1e-3, "the module's weight did not move");
        // The module computes with the updated values.
        using var after = net.call(x).detach();
        using (torch.no_grad())
        {
            var manual = nn.functional.linear(nn.functional.tanh(nn.functional.linear(x, net.a.weight!, net.a.bias)), net.b.weight!, net.b.bias);
            Assert.True(MaxDiff(after, manual) == 0);
        }
    }

    [Fact]
    public void Bf16_parameters_train_through_float32_master_weights()
    {
        _ = TestSupport.Torch;
        using var scope = torch.NewDisposeScope();
        var (x, y) = Data();
        var half = new Net(1);
        half.to(ScalarType.BFloat16);
        var reference = new Net(1);
        using (torch.no_grad())
            foreach (var p in reference.parameters()) p.copy_(p.to(ScalarType.BFloat16).to(ScalarType.Float32));
        var flat = new FlatAdamW(half.parameters().ToList(), lr: 0.01);
        var refOpt = new FlatAdamW(reference.parameters().ToList(), lr: 0.01);
        Assert.Equal(4 * flat.Count, flat.MasterBytes);
        for (var step = 0; step < 5; step++)
        {
            flat.ZeroGrad();
            nn.functional.mse_loss(half.call(x.to(ScalarType.BFloat16)).to(ScalarType.Float32), y).backward();
            flat.Step();
            refOpt.ZeroGrad();
            nn.functional.mse_loss(reference.call(x), y).backward();
            refOpt.Step();
        }
        foreach (var ((name, p), (_, q)) in half.named_parameters().Zip(reference.named_parameters()))
        {
            Assert.Equal(ScalarType.BFloat16, p.dtype);
            // Five steps of lr 0.01 move each weight by ≈ 0.05; bf16 rounding of values ≈ 0.5 is ≈ 0.002.
            Assert.True(MaxDiff(p, q) <= 5e-3, $"{name}: bf16 training drifted {MaxDiff(p, q):E2} from float32");
        }
    }

    [Fact]
    public void Bad_parameter_lists_are_clear_errors()
    {
        _ = TestSupport.Torch;
        using var scope = torch.NewDisposeScope();
        var net = new Net(1);
        Assert.Contains("no parameters", Assert.Throws<ArgumentException>(() => new FlatAdamW([])).Message);
        var ps = net.parameters().ToList();
        Assert.Contains("listed twice", Assert.Throws<ArgumentException>(() => new FlatAdamW([ps[0], ps[1], ps[0]])).Message);
        var frozen = new Parameter(torch.zeros(3), requires_grad: false);
        Assert.Contains("does not require grad", Assert.Throws<ArgumentException>(() => new FlatAdamW([ps[0], frozen])).Message);
        var other = new Parameter(torch.zeros(3, ScalarType.BFloat16));
        Assert.Contains("one dtype and device", Assert.Throws<ArgumentException>(() => new FlatAdamW([ps[0], other])).Message);
        Assert.Contains("learning rate", Assert.Throws<ArgumentException>(() => new FlatAdamW([ps[0]], lr: -1)).Message);
    }
}
