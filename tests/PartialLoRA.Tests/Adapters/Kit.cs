using PartialLoRA.Adapters;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Adapters;

/// <summary>Helpers shared by the adapter tests.</summary>
internal static class Kit
{
    /// <summary>Seeded values for every Linear and LayerNorm (no global RNG): weights U(±1/√in), biases U(±0.1), norms 1 ± 0.1.</summary>
    public static void Reinitialize(nn.Module model, long seed)
    {
        using var g = new torch.Generator((ulong)seed);
        using var _ = torch.no_grad();
        foreach (var (_, m) in model.named_modules())
        {
            switch (m)
            {
                case Linear l:
                    var b = 1.0 / Math.Sqrt(l.in_features);
                    l.weight!.uniform_(-b, b, generator: g);
                    l.bias?.uniform_(-0.1, 0.1, generator: g);
                    break;
                case LayerNorm n:
                    n.weight!.uniform_(0.9, 1.1, generator: g);
                    n.bias!.uniform_(-0.1, 0.1, generator: g);
                    break;
            }
        }
    }

    /// <summary>Adds N(0, scale²) noise to a parameter in place.</summary>
    public static void Perturb(Tensor p, long seed, double scale = 0.1)
    {
        using var _ = torch.no_grad();
        using var noise = TestSupport.Randn((ulong)seed, p.shape);
        p.add_(noise.to(p.dtype, p.device), scale);
    }

    public static float MaxAbsDiff(Tensor a, Tensor b)
    {
        using var d = (a.detach().to(ScalarType.Float32) - b.detach().to(ScalarType.Float32)).abs().max();
        return d.item<float>();
    }

    public static Tensor Forward(nn.Module<Tensor, Tensor> model, Tensor x)
    {
        using var _ = torch.no_grad();
        return model.call(x);
    }

    public static Dictionary<string, Tensor> Gradients(AdapterModel model, nn.Module<Tensor, Tensor> net, Tensor x, Tensor cotangent)
    {
        foreach (var p in model.TrainableParameters()) p.grad = null;
        var y = net.call(x);
        (y * cotangent).sum().backward();
        return model.NamedTrainableParameters().ToDictionary(p => p.Name, p => p.Parameter.grad!.detach().clone());
    }

    public static LoraConfig Lora(int r = 4, double alpha = 8, LoraInit init = LoraInit.Random, params string[] targets) => new()
    {
        TargetModules = TargetModules.Of(targets.Length > 0 ? targets : TinyTransformer.AllLinear),
        R = r,
        Alpha = alpha,
        Init = init,
        Seed = 11,
    };
}
