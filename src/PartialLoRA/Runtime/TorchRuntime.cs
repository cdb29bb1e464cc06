using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Runtime;

/// <summary>Which native libtorch this process runs on.</summary>
public enum TorchBackend
{
    /// <summary>TorchSharp-cpu's libtorch (the default build).</summary>
    Cpu,
    /// <summary>TorchSharp-cuda-linux's libtorch (build with -p:TorchBackend=cuda).</summary>
    Cuda,
    /// <summary>An existing CUDA libtorch named by PARTIALLORA_LIBTORCH (e.g. PyTorch's).</summary>
    ExternalLibTorch,
}

/// <summary>
/// The started runtime: backend, selected device, CPU threads, and the denormal mode of the thread that started it
/// (null where it cannot be set).
/// </summary>
public sealed record TorchRuntimeState(
    TorchBackend Backend,
    string? LibTorchDir,
    Device Device,
    bool CudaAvailable,
    int Threads,
    GlibcxxStatus Glibcxx,
    RuntimeOptions Options,
    DenormalMode? Denormals);

/// <summary>
/// Starts Torch once per process: loads the native backend (with clear errors instead of
/// TypeInitializationException), picks the device (auto: CUDA when available, else CPU), sets the
/// CPU thread count and the calling thread's denormal mode (<see cref="Runtime.Denormals"/>: threads it creates later
/// inherit it). Options come from flags and PARTIALLORA_DEVICE / PARTIALLORA_THREADS / PARTIALLORA_LIBTORCH /
/// PARTIALLORA_DENORMALS.
/// </summary>
public static class TorchRuntime
{
    private static readonly object Gate = new();
    private static TorchRuntimeState? current;

    /// <summary>The started runtime, starting it from the environment on first use.</summary>
    public static TorchRuntimeState Current => current ?? Initialize();

    /// <summary>The device every library component defaults to.</summary>
    public static Device Device => Current.Device;

    /// <summary>
    /// Starts Torch with <paramref name="options"/> (default: from the environment). A second call may change
    /// the device, threads and denormal mode (on its own thread), but not the native backend, which is fixed once loaded.
    /// </summary>
    public static TorchRuntimeState Initialize(RuntimeOptions? options = null)
    {
        lock (Gate)
        {
            options ??= RuntimeOptions.FromEnvironment();
            var denormals = Runtime.Denormals.Apply(options.Denormals);
            if (current != null)
            {
                if (options == current.Options) return current;
                if (options.LibTorchDir != current.Options.LibTorchDir)
                    throw new TorchRuntimeException(
                        $"Torch was already started on the {current.Backend} backend; {RuntimeOptions.LibTorchVariable} cannot change within a process.");
                current = current with
                {
                    Device = SelectDevice(options.Device, current.Backend, current.CudaAvailable),
                    Threads = ApplyThreads(options.Threads),
                    Options = options,
                    Denormals = denormals,
                };
                return current;
            }

            var backend = TorchBackend.Cpu;
            string? libDir = null;
            if (options.LibTorchDir != null)
            {
                libDir = ExternalLibTorch.Validate(options.LibTorchDir);
                ExternalLibTorch.Preload(libDir);
                backend = TorchBackend.ExternalLibTorch;
            }
#if TORCH_CUDA_PACKAGE
            else backend = TorchBackend.Cuda;
#elif TORCH_EXTERNAL_ONLY
            else
                throw new TorchRuntimeException(
                    $"this build has no libtorch of its own (-p:TorchBackend=external): set {RuntimeOptions.LibTorchVariable} " +
                    "to a folder holding libtorch_cuda.so (see environment/README.md), or build with the default TorchBackend=cpu.");
#endif
            var glibcxx = GlibcxxStatus.Detect();
            ProbeNativeLoad(backend, glibcxx);

            bool cuda = false;
            try
            {
                if (backend == TorchBackend.Cpu)
                    torch.InitializeDeviceType(DeviceType.CPU);
                else
                    cuda = torch.TryInitializeDeviceType(DeviceType.CUDA);
            }
            catch (Exception e) when (e is TypeInitializationException or NotSupportedException or InvalidOperationException)
            {
                throw new TorchRuntimeException($"TorchSharp could not start on the {backend} backend: {Innermost(e).Message}", e);
            }
            if (backend == TorchBackend.ExternalLibTorch && !cuda)
                throw new TorchRuntimeException(
                    $"{RuntimeOptions.LibTorchVariable}='{options.LibTorchDir}': the libraries loaded but CUDA is not available " +
                    "(no GPU visible, or a driver older than this libtorch's CUDA).");

            current = new TorchRuntimeState(backend, libDir, SelectDevice(options.Device, backend, cuda), cuda,
                ApplyThreads(options.Threads), glibcxx, options, denormals);
            return current;
        }
    }

    // Loads LibTorchSharp the way TorchSharp does, before TorchSharp's static constructor can fail with a
    // TypeInitializationException (and print its load trace to stdout).
    private static void ProbeNativeLoad(TorchBackend backend, GlibcxxStatus glibcxx)
    {
        var asm = typeof(torch).Assembly;
        NativeLibrary.TryLoad(backend == TorchBackend.Cpu ? "torch_cpu" : "torch_cuda", asm, null, out _);
        try
        {
            NativeLibrary.Load("LibTorchSharp", asm, null);
        }
        catch (DllNotFoundException e)
        {
            if (glibcxx.State == GlibcxxFixState.Missing)
                throw new TorchRuntimeException(
                    $"{glibcxx.LibraryPath} requires GLIBCXX_3.4.32, which {glibcxx.SystemLibStdCxx} lacks. The build marks that " +
                    "need weak in its output copy (build/GlibcxxFix.targets): rebuild with 'dotnet build', and if you copied the " +
                    "binaries elsewhere, copy the patched libLibTorchSharp.so with them.", e);
            throw new TorchRuntimeException(
                $"Could not load libLibTorchSharp.so for the {backend} backend: {e.Message}", e);
        }
    }

    private static Device SelectDevice(DeviceRequest request, TorchBackend backend, bool cudaAvailable)
    {
        switch (request.Kind)
        {
            case DeviceRequestKind.Cpu:
                return torch.CPU;
            case DeviceRequestKind.Auto:
                return cudaAvailable ? new Device(DeviceType.CUDA, 0) : torch.CPU;
            default:
                if (!cudaAvailable)
                    throw new TorchRuntimeException(backend == TorchBackend.Cpu
                        ? $"device '{request}' requested, but this build uses the CPU-only libtorch. Either build with " +
                          $"-p:TorchBackend=cuda or set {RuntimeOptions.LibTorchVariable} to a CUDA libtorch folder (see environment/README.md)."
                        : $"device '{request}' requested, but CUDA is not available on the {backend} backend (no GPU visible?).");
                var n = (int)torch.cuda.device_count();
                if (request.Index >= n)
                    throw new TorchRuntimeException($"device '{request}' requested, but only {n} CUDA device(s) are visible.");
                return new Device(DeviceType.CUDA, request.Index);
        }
    }

    private static int ApplyThreads(int? threads)
    {
        if (threads is { } n) torch.set_num_threads(n);
        return torch.get_num_threads();
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException != null) e = e.InnerException;
        return e;
    }
}
