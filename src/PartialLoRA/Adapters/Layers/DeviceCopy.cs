using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Adapters.Layers;

/// <summary>
/// A constant tensor (mask, index set, shared projection) kept on the CPU and handed out on the device and dtype a
/// computation needs, copied once per device/dtype. Deliberately not a module field: TorchSharp registers Tensor
/// fields as buffers (they would enter state_dict) and converts them with <c>module.to(dtype)</c>, which would
/// turn index sets into floats.
/// </summary>
internal sealed class DeviceCopy : IDisposable
{
    private readonly Tensor master;
    private Tensor? cached;

    public DeviceCopy(Tensor cpu)
    {
        master = cpu.detach().cpu().clone().DetachFromDisposeScope();
    }

    public Tensor Cpu => master;

    public long[] Shape => master.shape;

    /// <summary>On <paramref name="like"/>'s device; floating tensors also take its dtype, integer ones keep theirs.</summary>
    public Tensor Like(Tensor like)
    {
        var dtype = master.is_floating_point() ? like.dtype : master.dtype;
        if (Same(master, like, dtype)) return master;
        if (cached is not null && Same(cached, like, dtype)) return cached;
        cached?.Dispose();
        cached = master.to(dtype, like.device).DetachFromDisposeScope();
        return cached;
    }

    private static bool Same(Tensor t, Tensor like, ScalarType dtype) =>
        t.dtype == dtype && t.device_type == like.device_type && t.device_index == like.device_index;

    public void Dispose()
    {
        cached?.Dispose();
        master.Dispose();
    }
}
