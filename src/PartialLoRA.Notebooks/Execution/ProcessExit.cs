using System.Runtime.InteropServices;

namespace PartialLoRA.Notebooks.Execution;

/// <summary>
/// Ends the process when a timed-out cell is still running. A normal exit runs libtorch's static destructors while
/// that cell's thread may be inside a Torch operator, which aborts the process with a native stack trace (exit 134 or
/// 139) after the run's summary; here the streams are flushed and the process ends at once with the run's own code.
/// </summary>
public static partial class ProcessExit
{
    /// <summary>Returns <paramref name="code"/> when no cell was left running; otherwise flushes and ends the process with it.</summary>
    public static int AfterRun(int code)
    {
        if (NotebookExecutor.AbandonedCells == 0) return code;
        Console.Out.Flush();
        Console.Error.Flush();
        if (OperatingSystem.IsWindows()) Environment.Exit(code);
        NativeOutputCapture.FlushNativeStreams();
        _exit(code);
        return code; // not reached
    }

    [LibraryImport("libc", EntryPoint = "_exit")]
    private static partial void _exit(int status);
}
