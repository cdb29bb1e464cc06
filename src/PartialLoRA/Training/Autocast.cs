using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Training;

/// <summary>
/// libtorch's automatic mixed precision (PyTorch's <c>torch.autocast</c>) for TorchSharp 0.107, which does not
/// expose it: the ATen functions <c>at::autocast::set_autocast_enabled/dtype</c>, nesting and cache are called
/// from the loaded libtorch_cpu by their C++ symbols. Inside a scope, ops on the scope's device type that
/// autocast lists (matmul, linear, conv, …) run in the reduced dtype and precision-sensitive ones in f32; the
/// state is thread-local, so a scope covers the forward pass on the creating thread. Leave it before backward,
/// as PyTorch's recipe does.
/// </summary>
public sealed unsafe class Autocast : IDisposable
{
    private static readonly Lazy<Api> Native = new(Api.Load);

    private readonly sbyte deviceType;
    private readonly bool previousEnabled;
    private readonly sbyte previousDtype;
    private bool disposed;

    /// <summary>Enables autocast to <paramref name="dtype"/> (bf16 or f16) for ops on <paramref name="device"/>'s type.</summary>
    public Autocast(Device device, ScalarType dtype = ScalarType.BFloat16)
    {
        if (dtype is not (ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentException($"autocast runs in bfloat16 or float16, not {dtype}", nameof(dtype));
        var api = Native.Value;
        deviceType = (sbyte)device.type;
        previousEnabled = api.IsEnabled(deviceType) != 0;
        previousDtype = api.GetDtype(deviceType);
        api.SetEnabled(deviceType, 1);
        api.SetDtype(deviceType, (sbyte)dtype);
        api.IncrementNesting();
    }

    /// <summary>Whether autocast is on for <paramref name="device"/>'s type on this thread.</summary>
    public static bool IsEnabled(Device device) => Native.Value.IsEnabled((sbyte)device.type) != 0;

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        var api = Native.Value;
        // As torch.autocast.__exit__: the weight-cast cache lives until the outermost scope closes.
        if (api.DecrementNesting() == 0) api.ClearCache();
        api.SetEnabled(deviceType, (byte)(previousEnabled ? 1 : 0));
        api.SetDtype(deviceType, previousDtype);
    }

    private sealed class Api
    {
        public required delegate* unmanaged<sbyte, byte, void> SetEnabled;
        public required delegate* unmanaged<sbyte, byte> IsEnabled;
        public required delegate* unmanaged<sbyte, sbyte, void> SetDtype;
        public required delegate* unmanaged<sbyte, sbyte> GetDtype;
        public required delegate* unmanaged<long> IncrementNesting;
        public required delegate* unmanaged<long> DecrementNesting;
        public required delegate* unmanaged<void> ClearCache;

        public static Api Load()
        {
            _ = torch.get_num_threads(); // libtorch is loaded by TorchSharp before its symbols are looked up
            // A bare name, so dlopen returns the copy already loaded (TorchSharp's, or PARTIALLORA_LIBTORCH's) by
            // soname rather than probing the application folder for a second one.
            if (!NativeLibrary.TryLoad("libtorch_cpu.so", out var lib))
                throw new InvalidOperationException("autocast: libtorch_cpu.so is not loaded; start Torch first (TorchRuntime.Initialize)");
            nint Sym(string mangled, string name) =>
                NativeLibrary.TryGetExport(lib, mangled, out var p) ? p
                    : throw new InvalidOperationException($"autocast: this libtorch does not export {name} ({mangled})");
            return new Api
            {
                SetEnabled = (delegate* unmanaged<sbyte, byte, void>)Sym("_ZN2at8autocast20set_autocast_enabledEN3c1010DeviceTypeEb", "at::autocast::set_autocast_enabled"),
                IsEnabled = (delegate* unmanaged<sbyte, byte>)Sym("_ZN2at8autocast19is_autocast_enabledEN3c1010DeviceTypeE", "at::autocast::is_autocast_enabled"),
                SetDtype = (delegate* unmanaged<sbyte, sbyte, void>)Sym("_ZN2at8autocast18set_autocast_dtypeEN3c1010DeviceTypeENS1_10ScalarTypeE", "at::autocast::set_autocast_dtype"),
                GetDtype = (delegate* unmanaged<sbyte, sbyte>)Sym("_ZN2at8autocast18get_autocast_dtypeEN3c1010DeviceTypeE", "at::autocast::get_autocast_dtype"),
                IncrementNesting = (delegate* unmanaged<long>)Sym("_ZN2at8autocast17increment_nestingEv", "at::autocast::increment_nesting"),
                DecrementNesting = (delegate* unmanaged<long>)Sym("_ZN2at8autocast17decrement_nestingEv", "at::autocast::decrement_nesting"),
                ClearCache = (delegate* unmanaged<void>)Sym("_ZN2at8autocast11clear_cacheEv", "at::autocast::clear_cache"),
            };
        }
    }
}
