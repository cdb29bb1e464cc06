using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Models;

/// <summary>
/// The activation functions named by HF configs (<c>hidden_act</c>), with transformers' meanings:
/// <c>gelu</c> is the exact erf form, <c>gelu_new</c>/<c>gelu_pytorch_tanh</c> the tanh approximation,
/// <c>quick_gelu</c> is x·σ(1.702x) (OpenAI CLIP), <c>silu</c>/<c>swish</c> is x·σ(x) (LLaMA).
/// </summary>
public static class Activations
{
    public static readonly IReadOnlyList<string> Names =
        ["gelu", "gelu_new", "gelu_pytorch_tanh", "quick_gelu", "silu", "swish", "relu", "tanh"];

    /// <param name="source">Where the name came from (config file and field), for the error message.</param>
    public static Func<Tensor, Tensor> Get(string name, string source = "config") => name switch
    {
        "gelu" => x => nn.functional.gelu(x),
        "gelu_new" or "gelu_pytorch_tanh" => GeluTanh,
        "quick_gelu" => QuickGelu,
        "silu" or "swish" => x => nn.functional.silu(x),
        "relu" => x => nn.functional.relu(x),
        "tanh" => x => x.tanh(),
        _ => throw new InvalidDataException($"{source}: unknown activation '{name}'; expected one of {string.Join(", ", Names)}"),
    };

    /// <summary>Checks a name without building anything (configs validate on construction).</summary>
    public static void Validate(string name, string source) => Get(name, source);

    // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), HF's NewGELUActivation
    private static Tensor GeluTanh(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var inner = (x + x.pow(3) * 0.044715) * Math.Sqrt(2.0 / Math.PI);
        return (x * 0.5 * (inner.tanh() + 1.0)).MoveToOuterDisposeScope();
    }

    private static Tensor QuickGelu(Tensor x)
    {
        using var s = (x * 1.702).sigmoid();
        return x * s;
    }
}
