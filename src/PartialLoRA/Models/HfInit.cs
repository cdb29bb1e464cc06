using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Models;

/// <summary>
/// Seeded weight initialisation as HF's <c>_init_weights</c> does it (normal weights with a given std, zero
/// biases, unit LayerNorm), drawing from an explicit generator so that the same seed gives the same model.
/// </summary>
public static class HfInit
{
    public static void Normal(Tensor t, double std, Generator g)
    {
        using var _ = torch.no_grad();
        t.normal_(0.0, std, g);
    }

    public static void Zeros(Tensor? t)
    {
        if (t is null) return;
        using var _ = torch.no_grad();
        t.zero_();
    }

    public static void Ones(Tensor t)
    {
        using var _ = torch.no_grad();
        t.fill_(1.0);
    }

    /// <summary>A Linear held in a replaceable field: weight ~ N(0, std²), bias 0.</summary>
    public static void Linear(nn.Module<Tensor, Tensor> module, double std, Generator g)
    {
        var lin = module as Linear ?? throw new InvalidOperationException(
            $"weight initialisation expects a Linear, found {module.GetType().Name} (initialise before injecting adapters)");
        Normal(lin.weight!, std, g);
        Zeros(lin.bias);
    }

    /// <summary>Embedding ~ N(0, std²), with the padding row zeroed as HF does.</summary>
    public static void Embedding(Embedding e, double std, Generator g, long? paddingIdx = null)
    {
        Normal(e.weight!, std, g);
        if (paddingIdx is { } p && p >= 0)
        {
            using var _ = torch.no_grad();
            e.weight![p].zero_();
        }
    }

    public static void LayerNorm(LayerNorm ln)
    {
        Ones(ln.weight!);
        Zeros(ln.bias);
    }
}
