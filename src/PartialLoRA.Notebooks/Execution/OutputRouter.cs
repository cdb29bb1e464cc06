using System.Text;

namespace PartialLoRA.Notebooks.Execution;

/// <summary>
/// Installed once as Console.Out / Console.Error: text written on a cell's flow goes to that cell's output,
/// anything else to the real console. Routing by flow (not by swapping Console.Out per cell) keeps a timed-out
/// cell's thread from writing into the next cell.
/// </summary>
internal sealed class OutputRouter : TextWriter
{
    private static readonly object InstallGate = new();
    private static bool installed;

    private readonly TextWriter original;
    private readonly string stream;

    private OutputRouter(TextWriter original, string stream)
    {
        this.original = original;
        this.stream = stream;
    }

    public override Encoding Encoding => original.Encoding;

    public static void Install()
    {
        lock (InstallGate)
        {
            if (installed) return;
            Console.SetOut(new OutputRouter(Console.Out, "stdout"));
            Console.SetError(new OutputRouter(Console.Error, "stderr"));
            installed = true;
        }
    }

    public override void Write(char value) => Write(value.ToString());

    public override void Write(string? value)
    {
        if (value == null) return;
        if (CellContext.Current is { } cell) cell.Write(stream, value);
        else lock (original) original.Write(value);
    }

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void WriteLine(string? value) => Write((value ?? "") + "\n");

    public override void WriteLine() => Write("\n");

    public override void Flush()
    {
        if (CellContext.Current == null) original.Flush();
    }
}
