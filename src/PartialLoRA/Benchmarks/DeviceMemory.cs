using System.Globalization;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Benchmarks;

/// <summary>One memory figure of a benchmark run.</summary>
/// <param name="Kind">
/// "cuda-driver-used": device memory in use (total − free from the CUDA driver's <c>cuMemGetInfo</c>, the number
/// nvidia-smi shows), the largest of the samples taken; "cpu-peak-rss": the process's peak resident set (Linux VmHWM).
/// </param>
/// <param name="PeakBytes">The peak as measured (device-wide on CUDA; the whole process on CPU).</param>
/// <param name="BaselineBytes">The same quantity when measuring started (after the CUDA context existed), or null.</param>
public sealed record MemoryFigure(string Kind, long PeakBytes, long? BaselineBytes)
{
    /// <summary>What the run itself added: peak − baseline (the whole peak when there is no baseline).</summary>
    public long AboveBaselineBytes => PeakBytes - (BaselineBytes ?? 0);
}

/// <summary>
/// Peak memory of a benchmark run, measured the same way for both sides of the comparison.
/// <para>
/// CUDA: TorchSharp 0.107 exposes no <c>torch.cuda.max_memory_allocated</c>, so the device's used memory is read
/// from the CUDA driver on the primary context (the one libtorch's runtime uses) at the end of warm-up and of each
/// timed window. libtorch's caching allocator does not return freed blocks to the driver, so used memory only grows
/// during a run and the last sample is the run's peak reservation (allocator reserve + CUDA context + library
/// workspaces; other processes on the device would add to it, hence the baseline). PyTorch's
/// <c>torch.cuda.mem_get_info()</c> reads the same counter. Because the reserve is never released inside a process,
/// each method is measured in its own process (the CLI's <c>--isolate</c>).
/// </para>
/// <para>CPU: the peak RSS (VmHWM), reset at the start with <c>/proc/self/clear_refs</c> where Linux allows it.</para>
/// </summary>
public sealed class DeviceMemory
{
    private readonly bool cuda;
    private readonly int ordinal;
    private readonly long? baseline;
    private readonly bool rssReset;
    private long peak;

    private DeviceMemory(Device device)
    {
        cuda = device.type == DeviceType.CUDA;
        ordinal = device.index < 0 ? 0 : device.index;
        if (cuda)
        {
            baseline = CudaUsedBytes(ordinal) ?? throw new InvalidOperationException(
                "peak memory: the CUDA driver (libcuda.so.1, cuMemGetInfo) could not be asked; memory would not be measured");
            peak = baseline.Value;
        }
        else
        {
            rssReset = ResetPeakRss();
        }
    }

    /// <summary>Starts measuring on <paramref name="device"/> (on CUDA this creates the primary context if needed).</summary>
    public static DeviceMemory Start(Device device) => new(device);

    /// <summary>Whether the CPU peak is this run's (reset at the start) rather than the process's since it began.</summary>
    public bool PeakIsPerRun => cuda || rssReset;

    /// <summary>Reads the current figure (on CUDA a driver query, no device synchronisation).</summary>
    public void Sample()
    {
        if (!cuda) return;
        if (CudaUsedBytes(ordinal) is { } used && used > peak) peak = used;
    }

    public MemoryFigure Stop()
    {
        Sample();
        return cuda
            ? new MemoryFigure("cuda-driver-used", peak, baseline)
            : new MemoryFigure("cpu-peak-rss", PeakRssBytes() ?? throw new InvalidOperationException("peak memory: /proc/self/status has no VmHWM"), null);
    }

    /// <summary>Peak resident set of this process (VmHWM), or null where /proc is not available.</summary>
    public static long? PeakRssBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    // Writing 5 to /proc/self/clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0).
    private static bool ResetPeakRss()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>total − free of device <paramref name="ordinal"/> on its primary context, or null without a driver.</summary>
    public static long? CudaUsedBytes(int ordinal) => Driver.Value?.UsedBytes(ordinal);

    private static readonly Lazy<CudaMemInfo?> Driver = new(CudaMemInfo.Load);

    private sealed unsafe class CudaMemInfo
    {
        private delegate* unmanaged<uint, int> init;
        private delegate* unmanaged<int*, int, int> deviceGet;
        private delegate* unmanaged<nint*, int, int> primaryCtxRetain;
        private delegate* unmanaged<nint, int> ctxPush;
        private delegate* unmanaged<nint*, int> ctxPop;
        private delegate* unmanaged<nuint*, nuint*, int> memGetInfo;
        private readonly Dictionary<int, nint> contexts = new();

        public static CudaMemInfo? Load()
        {
            if (!NativeLibrary.TryLoad("libcuda.so.1", out var h)) return null;
            nint Sym(string name) => NativeLibrary.TryGetExport(h, name, out var f) ? f : 0;
            var api = new CudaMemInfo
            {
                init = (delegate* unmanaged<uint, int>)Sym("cuInit"),
                deviceGet = (delegate* unmanaged<int*, int, int>)Sym("cuDeviceGet"),
                primaryCtxRetain = (delegate* unmanaged<nint*, int, int>)Sym("cuDevicePrimaryCtxRetain"),
                ctxPush = (delegate* unmanaged<nint, int>)Sym("cuCtxPushCurrent_v2"),
                ctxPop = (delegate* unmanaged<nint*, int>)Sym("cuCtxPopCurrent_v2"),
                memGetInfo = (delegate* unmanaged<nuint*, nuint*, int>)Sym("cuMemGetInfo_v2"),
            };
            if (api.init == null || api.deviceGet == null || api.primaryCtxRetain == null || api.ctxPush == null ||
                api.ctxPop == null || api.memGetInfo == null || api.init(0) != 0) return null;
            return api;
        }

        public long? UsedBytes(int ordinal)
        {
            lock (contexts)
            {
                if (!contexts.TryGetValue(ordinal, out var ctx))
                {
                    int dev;
                    // Retained for the process's lifetime: releasing the last reference would destroy the context.
                    if (deviceGet(&dev, ordinal) != 0 || primaryCtxRetain(&ctx, dev) != 0) return null;
                    contexts[ordinal] = ctx;
                }
                if (ctxPush(ctx) != 0) return null;
                nuint free, total;
                var rc = memGetInfo(&free, &total);
                nint popped;
                ctxPop(&popped);
                return rc == 0 ? (long)(total - free) : null;
            }
        }
    }
}
