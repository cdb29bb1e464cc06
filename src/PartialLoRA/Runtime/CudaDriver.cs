using System.Runtime.InteropServices;
using System.Text;

namespace PartialLoRA.Runtime;

/// <summary>A CUDA device as the driver describes it.</summary>
public sealed record CudaDeviceInfo(int Index, string Name, long TotalMemoryBytes);

/// <summary>
/// Device names and memory from the CUDA driver API (libcuda.so.1), which TorchSharp does not expose.
/// The driver API is ABI-stable, unlike cudaDeviceProp of the runtime API.
/// </summary>
public static class CudaDriver
{
    private delegate int CuInit(uint flags);
    private delegate int CuDeviceGetCount(out int count);
    private delegate int CuDeviceGet(out int device, int ordinal);
    private delegate int CuDeviceGetName(byte[] name, int len, int device);
    private delegate int CuDeviceTotalMem(out nuint bytes, int device);

    /// <summary>The devices, or an empty list when no driver is installed.</summary>
    public static IReadOnlyList<CudaDeviceInfo> Devices()
    {
        if (!NativeLibrary.TryLoad("libcuda.so.1", out var h)) return [];
        try
        {
            var init = Get<CuInit>(h, "cuInit");
            var count = Get<CuDeviceGetCount>(h, "cuDeviceGetCount");
            var get = Get<CuDeviceGet>(h, "cuDeviceGet");
            var name = Get<CuDeviceGetName>(h, "cuDeviceGetName");
            var mem = Get<CuDeviceTotalMem>(h, "cuDeviceTotalMem_v2");
            if (init(0) != 0 || count(out var n) != 0) return [];
            var list = new List<CudaDeviceInfo>();
            for (int i = 0; i < n; i++)
            {
                if (get(out var dev, i) != 0) continue;
                var buf = new byte[256];
                var nm = name(buf, buf.Length, dev) == 0 ? Encoding.ASCII.GetString(buf).TrimEnd('\0') : "?";
                var total = mem(out var bytes, dev) == 0 ? (long)bytes : -1;
                list.Add(new CudaDeviceInfo(i, nm, total));
            }
            return list;
        }
        catch (EntryPointNotFoundException)
        {
            return [];
        }
    }

    private static T Get<T>(IntPtr lib, string name) where T : Delegate =>
        Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(lib, name));
}
