using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Llama;

/// <summary>
/// HF <c>LlamaRotaryEmbedding</c> and <c>apply_rotary_pos_emb</c>: θ_i = base^(−2i/d) (divided by the linear
/// factor), angles = position·θ in float32, cos/sin of [angles, angles], and q' = q·cos + rotate_half(q)·sin with
/// rotate_half(x) = [−x₂, x₁]. HF's <c>inv_freq</c> buffer is not persistent; it is recomputed here.
/// </summary>
public sealed class LlamaRotaryEmbedding : nn.Module
{
    private readonly LlamaConfig config;

    public LlamaRotaryEmbedding(LlamaConfig c) : base(nameof(LlamaRotaryEmbedding))
    {
        config = c;
        RegisterComponents();
    }

    /// <returns>cos and sin, (T, head_dim), in <paramref name="dtype"/>.</returns>
    public (Tensor Cos, Tensor Sin) Forward(long length, ScalarType dtype, Device device)
    {
        using var scope = torch.NewDisposeScope();
        var d = config.HeadDim;
        var exponent = torch.arange(0, d, 2, ScalarType.Int64, device).to(ScalarType.Float32) / d;
        var invFreq = torch.pow(torch.tensor((float)config.RopeTheta, device: device), exponent).reciprocal();
        if (config.RopeType == "linear") invFreq = invFreq / config.RopeFactor;
        var positions = torch.arange(length, ScalarType.Int64, device).to(ScalarType.Float32);
        var freqs = positions.unsqueeze(1) * invFreq.unsqueeze(0);
        var emb = torch.cat([freqs, freqs], -1);
        return (emb.cos().to(dtype).MoveToOuterDisposeScope(), emb.sin().to(dtype).MoveToOuterDisposeScope());
    }

    /// <summary>Rotates (N, heads, T, head_dim) by cos/sin of shape (T, head_dim).</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = torch.NewDisposeScope();
        var half = x.shape[^1] / 2;
        var rotated = torch.cat([x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)], -1);
        return (x * cos + rotated * sin).MoveToOuterDisposeScope();
    }
}
