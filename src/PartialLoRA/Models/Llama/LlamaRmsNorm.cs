using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Llama;

/// <summary>HF <c>LlamaRMSNorm</c>: x / √(mean(x²) + ε) computed in float32, cast back, times <c>weight</c>.</summary>
public sealed class LlamaRmsNorm : nn.Module<Tensor, Tensor>
{
    public Parameter weight;
    private readonly double eps;

    public LlamaRmsNorm(int size, double eps) : base(nameof(LlamaRmsNorm))
    {
        weight = new Parameter(torch.ones(size));
        this.eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var h = x.to(ScalarType.Float32);
        var variance = h.pow(2).mean([-1], keepdim: true);
        h = h * torch.rsqrt(variance + eps);
        return (weight * h.to(x.dtype)).MoveToOuterDisposeScope();
    }
}
