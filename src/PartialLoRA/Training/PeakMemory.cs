using System.Globalization;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Training;

/// <summary>What <see cref="PeakMemory"/> measured for one run.</summary>
/// <param name="CpuPeakRssBytes">Peak resident set size of the process (Linux VmHWM), null where unavailable.</param>
/// <param name="CpuPeakIsPerRun">True when the peak was reset at the run's start (so it is this run's peak), false when it is the process's peak since start.</param>
/// <param name="CudaPeakUsedBytes">
/// On CUDA: the largest device-wide used memory (total − free from the CUDA driver) sampled after each step —
/// it includes the CUDA context, the caching allocator's reserve and other processes, so it bounds the run's
/// peak from above. Null on CPU or when the driver cannot be asked.
/// </param>
public sealed record MemoryReport(long? CpuPeakRssBytes, bool CpuPeakIsPerRun, long? CudaPeakUsedBytes);

/// <summary>Peak memory of a training run: process peak RSS on CPU, device memory on CUDA.</summary>
public sealed class PeakMemory
{
    private readonly Device device;
    private readonly bool perRun;
    private long? cudaPeak;

    private PeakMemory(Device device, bool perRun)
    {
        this.device = device;
        this.perRun = perRun;
        Sample();
    }

    /// <summary>Starts measuring; resets the kernel's peak-RSS counter of this process where Linux allows it.</summary>
    public static PeakMemory Start(Device device) => new(device, ResetPeakRss());

    /// <summary>Records the current CUDA memory use (call after each step; free on CPU).</summary>
    public void Sample()
    {
        if (device.type != DeviceType.CUDA) return;
        if (CudaUsedBytes() is { } used && (cudaPeak == null || used > cudaPeak)) cudaPeak = used;
    }

    public MemoryReport Stop()
    {
        Sample();
        return new MemoryReport(ReadStatusBytes("VmHWM:"), perRun, cudaPeak);
    }

    // Writing 5 to /proc/self/clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0).
    private static bool ResetPeakRss()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            return false;
        }
    }

    private static long? ReadStatusBytes(string field)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    var parts = line[field.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[0], CultureInfo.InvariantCulture) * 1024;
                }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return null;
    }

    private delegate int CuMemGetInfo(out nuint free, out nuint total);
    private static readonly Lazy<CuMemGetInfo?> MemGetInfo = new(() =>
        NativeLibrary.TryLoad("libcuda.so.1", out var h) && NativeLibrary.TryGetExport(h, "cuMemGetInfo_v2", out var f)
            ? Marshal.GetDelegateForFunctionPointer<CuMemGetInfo>(f) : null);

    // Asks the driver in the context libtorch made current on this thread; null when there is none.
    private static long? CudaUsedBytes() =>
        MemGetInfo.Value is { } get && get(out var free, out var total) == 0 ? (long)(total - free) : null;
}
