using System.Runtime.InteropServices;
using System.Text;

namespace PartialLoRA.Notebooks.Execution;

/// <summary>
/// Captures what native code (libtorch warnings, printf) writes to file descriptors 1 and 2 while a cell runs, by
/// pointing each at a pipe that a reader thread drains. Linux and macOS only; elsewhere, or if a system call fails,
/// <see cref="TryStart"/> returns null and native output goes to the console as before. Started and stopped by
/// the executor's thread (not the cell's), so a timed-out cell never keeps the descriptors redirected.
/// </summary>
internal sealed partial class NativeOutputCapture
{
    private readonly Redirect stdout, stderr;

    private NativeOutputCapture(Redirect stdout, Redirect stderr)
    {
        this.stdout = stdout;
        this.stderr = stderr;
    }

    public static NativeOutputCapture? TryStart()
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())) return null;
        try
        {
            fflush(IntPtr.Zero);
            var o = Redirect.TryStart(1);
            if (o == null) return null;
            var e = Redirect.TryStart(2);
            if (e == null)
            {
                o.Stop();
                return null;
            }
            return new NativeOutputCapture(o, e);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Restores both descriptors and returns what was written to each meanwhile.</summary>
    public (string Stdout, string Stderr) Stop()
    {
        fflush(IntPtr.Zero);
        return (stdout.Stop(), stderr.Stop());
    }

    private sealed class Redirect
    {
        private readonly int fd, saved, readFd;
        private readonly Thread reader;
        private readonly MemoryStream buffer = new();
        private bool stopped;

        private Redirect(int fd, int saved, int readFd)
        {
            this.fd = fd;
            this.saved = saved;
            this.readFd = readFd;
            reader = new Thread(Drain) { IsBackground = true, Name = $"native fd {fd} capture" };
            reader.Start();
        }

        public static Redirect? TryStart(int fd)
        {
            var fds = new int[2];
            if (pipe(fds) != 0) return null;
            var saved = dup(fd);
            if (saved < 0 || dup2(fds[1], fd) < 0)
            {
                if (saved >= 0) close(saved);
                close(fds[0]);
                close(fds[1]);
                return null;
            }
            close(fds[1]);
            return new Redirect(fd, saved, fds[0]);
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

        public string Stop()
        {
            if (!stopped)
            {
                stopped = true;
                dup2(saved, fd);
                close(saved);
                // End-of-file comes once nothing refers to the pipe's write end; a child process that inherited it
                // could keep it open, so do not wait forever.
                reader.Join(TimeSpan.FromSeconds(2));
                close(readFd);
            }
            lock (buffer) return Encoding.UTF8.GetString(buffer.ToArray());
        }
    }

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

    /// <summary>Flushes every C stdio stream (what native code printed but has not yet written).</summary>
    internal static void FlushNativeStreams() => fflush(IntPtr.Zero);

    [LibraryImport("libc")]
    private static partial int fflush(IntPtr stream);
}
