using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Models;

/// <summary>
/// Attention masks as HF's eager attention uses them: a boolean "may attend" tensor (N,1,T,T) built from the
/// padding mask (N,T of 1/0) and optionally causality, turned into an additive mask holding 0 where attention is
/// allowed and the dtype's most negative finite value where it is not (so a fully masked row stays finite).
/// </summary>
public static class AttentionMasks
{
    /// <param name="paddingMask">(N,T) of 1 (token) / 0 (padding), any numeric or bool dtype; null = no padding.</param>
    public static Tensor Allowed(Tensor? paddingMask, long batch, long length, bool causal, Device device)
    {
        using var scope = torch.NewDisposeScope();
        var allowed = torch.ones(batch, 1, length, length, ScalarType.Bool, device);
        if (paddingMask is not null)
        {
            CheckPaddingMask(paddingMask, batch, length);
            var keys = paddingMask.to(ScalarType.Bool).to(device).view(batch, 1, 1, length);
            allowed = allowed.logical_and(keys);
        }
        if (causal)
        {
            var lower = torch.ones(length, length, ScalarType.Bool, device).tril();
            allowed = allowed.logical_and(lower.view(1, 1, length, length));
        }
        return allowed.MoveToOuterDisposeScope();
    }

    /// <summary>0 where <paramref name="allowed"/>, else the most negative finite value of <paramref name="dtype"/>.</summary>
    public static Tensor Additive(Tensor allowed, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var m = torch.zeros(allowed.shape, dtype, allowed.device).masked_fill(allowed.logical_not(), MinValue(dtype));
        return m.MoveToOuterDisposeScope();
    }

    /// <summary>torch.finfo(dtype).min.</summary>
    public static double MinValue(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => float.MinValue,
        ScalarType.Float64 => double.MinValue,
        ScalarType.Float16 => -65504.0,
        ScalarType.BFloat16 => -3.3895313892515355e38,
        _ => throw new ArgumentException($"attention masks need a floating dtype, got {dtype}"),
    };

    public static void CheckPaddingMask(Tensor mask, long batch, long length)
    {
        if (mask.dim() != 2 || mask.shape[0] != batch || mask.shape[1] != length)
            throw new ArgumentException(
                $"attention mask must be (N,T) = ({batch},{length}) of 1 (token) / 0 (padding), got ({string.Join(",", mask.shape)})");
    }

    /// <summary>Checks token ids: (N,T) int64.</summary>
    public static void CheckIds(Tensor ids, string model)
    {
        if (ids.dim() != 2 || ids.dtype != ScalarType.Int64)
            throw new ArgumentException($"{model}: input ids must be (N,T) int64, got ({string.Join(",", ids.shape)}) {ids.dtype}");
    }
}
