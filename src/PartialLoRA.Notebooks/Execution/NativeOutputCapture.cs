using System.Runtime.InteropServices;
using System.Text;

namespace PartialLoRA.Notebooks.Execution;

/// <summary>
/// Captures what native code (libtorch warnings, printf) writes to file descriptors 1 and 2 while a cell runs,
/// by pointing them at a pipe that a reader thread drains. Linux and macOS only; elsewhere, or if any system call
/// fails, <see cref="TryStart"/> returns null and native output goes to the console as before.
/// </summary>
internal sealed partial class NativeOutputCapture : IDisposable
{
    private readonly int savedOut, savedErr, readFd;
    private readonly Thread reader;
    private readonly MemoryStream buffer = new();
    private bool stopped;

    private NativeOutputCapture(int savedOut, int savedErr, int readFd)
    {
        this.savedOut = savedOut;
        this.savedErr = savedErr;
        this.readFd = readFd;
        reader = new Thread(Drain) { IsBackground = true, Name = "native output capture" };
        reader.Start();
    }

    public static NativeOutputCapture? TryStart()
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())) return null;
        try
        {
            fflush(IntPtr.Zero);
            var fds = new int[2];
            if (pipe(fds) != 0) return null;
            int so = dup(1), se = dup(2);
            if (so < 0 || se < 0 || dup2(fds[1], 1) < 0 || dup2(fds[1], 2) < 0)
            {
                if (so >= 0) { dup2(so, 1); close(so); }
                if (se >= 0) { dup2(se, 2); close(se); }
                close(fds[0]);
                close(fds[1]);
                return null;
            }
            close(fds[1]);
            return new NativeOutputCapture(so, se, fds[0]);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    private unsafe void Drain()
    {
        var chunk = new byte[8192];
        fixed (byte* p = chunk)
        {
            while (true)
            {
                var n = read(readFd, p, chunk.Length);
                if (n <= 0) break;
                lock (buffer) buffer.Write(chunk, 0, (int)n);
            }
        }
    }

    /// <summary>Restores the descriptors and returns what was written meanwhile.</summary>
    public string Stop()
    {
        if (!stopped)
        {
            stopped = true;
            fflush(IntPtr.Zero);
            dup2(savedOut, 1);
            dup2(savedErr, 2);
            close(savedOut);
            close(savedErr);
            // The reader sees end-of-file once no descriptor refers to the pipe's write end; a child process that
            // inherited it could keep it open, so do not wait forever.
            reader.Join(TimeSpan.FromSeconds(2));
            close(readFd);
        }
        lock (buffer) return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public void Dispose() => Stop();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int pipe([Out] int[] fds);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int dup(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int dup2(int oldFd, int newFd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint read(int fd, byte* buf, nint count);

    [LibraryImport("libc")]
    private static partial int fflush(IntPtr stream);
}
