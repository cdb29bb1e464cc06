using System.Diagnostics;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using PartialLoRA.Notebooks.Rendering;
using PartialLoRA.Runtime;
using TorchSharp;

namespace PartialLoRA.Notebooks.Execution;

/// <summary>
/// Runs a notebook's C# cells in order in one Roslyn scripting state (variables, types and usings of one cell are
/// visible in the next), the way a Polyglot / .NET Interactive kernel would. Per cell: Polyglot directives are
/// handled (<see cref="CellPreprocessor"/>), stdout/stderr are captured (and native output where possible), the
/// last expression's value and every <c>display(...)</c> become rich outputs (<see cref="Formatters"/>), and
/// errors (directive, compile, runtime, timeout) become an error output naming the code cell and line. The first
/// failing cell stops its notebook; the caller goes on with the next notebook.
/// </summary>
public sealed class NotebookExecutor
{
    private readonly ExecutorOptions options;

    public NotebookExecutor(ExecutorOptions options)
    {
        this.options = options;
        OutputRouter.Install();
    }

    public ExecutorOptions Options => options;

    private static int abandonedCells;

    /// <summary>
    /// Cells of this process that timed out and did not stop on cancellation: their threads still run (possibly inside
    /// libtorch), so the process must not run native exit handlers under them (see <see cref="ProcessExit"/>).
    /// </summary>
    public static int AbandonedCells => Volatile.Read(ref abandonedCells);

    /// <summary>Warms Roslyn up (the first compilation of a process takes seconds), e.g. while nothing else runs.</summary>
    public static void Warm() => CSharpScript.Create("1", ScriptEnvironment.Options, typeof(NotebookGlobals)).Compile();

    /// <summary>
    /// Runs <paramref name="notebook"/> in place: every code cell's outputs and execution count are replaced
    /// (cells after a failure are left cleared). <paramref name="directory"/> is where relative #r/#load/#!import resolve.
    /// </summary>
    public NotebookRunResult Run(Notebook notebook, string name, string directory)
    {
        var total = Stopwatch.StartNew();
        var context = new NotebookContext(name, options.EmbedPlotlyJs);
        using var cancel = new CancellationTokenSource();
        var globals = new NotebookGlobals(options, name, Path.GetFullPath(directory), cancel.Token);
        var codeCells = notebook.CodeCells.Count();
        foreach (var c in notebook.CodeCells) c.ClearOutputs();

        if (options.SeedTorch)
        {
            _ = TorchRuntime.Current;
            torch.random.manual_seed(options.Seed);
        }

        ScriptState<object>? state = null;
        var timings = new List<CellTiming>();
        CellFailure? failure = null;
        string? skipped = null;
        var codeNo = 0;
        var executionCount = 0;
        for (var index = 0; index < notebook.Cells.Count; index++)
        {
            var cell = notebook.Cells[index];
            if (cell.Type != CellType.Code) continue;
            codeNo++;
            var started = Stopwatch.StartNew();
            var cellContext = new CellContext(context, codeNo);
            var outcome = RunCell(cell, codeNo, index, notebook.Cells.Count, name, directory, globals, cancel, cellContext, ref state);
            cell.ExecutionCount = ++executionCount;
            foreach (var o in cellContext.Outputs()) cell.AddOutput(o);
            cellContext.Closed = true; // late writes from tasks the cell left running are dropped, not misplaced
            timings.Add(new CellTiming(codeNo, started.Elapsed, outcome.Failure == null));
            options.Progress?.Invoke($"  {name} code cell {codeNo}/{codeCells}: {(outcome.Failure != null ? "FAILED" : outcome.Skip != null ? "skipped the rest" : "ok")} ({started.Elapsed.TotalSeconds:F1} s)");
            if (outcome.Failure != null)
            {
                failure = outcome.Failure;
                break;
            }
            if (outcome.Skip != null)
            {
                skipped = outcome.Skip;
                break;
            }
        }
        var status = failure != null ? NotebookStatus.Failed : skipped != null ? NotebookStatus.Skipped : NotebookStatus.Passed;
        return new NotebookRunResult(name, notebook, status, codeCells, timings.Count, total.Elapsed, failure, skipped, timings);
    }

    private sealed record CellOutcome(CellFailure? Failure, string? Skip, object? Value = null);

    private CellOutcome RunCell(NotebookCell cell, int codeNo, int index, int totalCells, string name, string directory,
        NotebookGlobals globals, CancellationTokenSource cancel, CellContext ctx, ref ScriptState<object>? state)
    {
        CellFailure Fail(FailureKind kind, int? line, string message, string ename, IEnumerable<string>? traceback = null)
        {
            var f = new CellFailure(codeNo, index, totalCells, kind, line, message);
            var headline = f.Describe(name);
            ctx.Add(NotebookOutput.Error(ename, headline, traceback?.Prepend(headline) ?? [headline]));
            return f;
        }

        var kernel = PolyglotMetadata.CellKernel(cell);
        if (!kernel.Equals("csharp", StringComparison.OrdinalIgnoreCase))
            return new(Fail(FailureKind.Directive, null, $"the cell's metadata selects Polyglot's '{kernel}' kernel; this executor runs C# cells only", "DirectiveError"), null);

        var pre = CellPreprocessor.Process(cell.Source);
        foreach (var note in pre.Notes) ctx.Write("stdout", note + "\n");
        if (pre.Error is { } err) return new(Fail(FailureKind.Directive, err.Line, err.Message, "DirectiveError"), null);

        var sw = Stopwatch.StartNew();
        var cellPath = $"{name}.ipynb#code-cell-{codeNo}";
        foreach (var import in pre.Imports)
        {
            var importOutcome = RunImport(import, directory, codeNo, globals, cancel, ctx, ref state, Fail);
            if (importOutcome != null) return importOutcome;
        }

        var outcome = Execute(pre.Code, cellPath, directory, globals, cancel, ctx, ref state, codeNo, Fail);
        if (outcome.Failure == null && pre.Time)
            ctx.Write("stdout", $"Wall time: {sw.Elapsed.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture)} ms\n");
        // The cell's value comes last, after its streams (and the wall time), as in Jupyter.
        if (outcome.Value is { } value)
        {
            try
            {
                ctx.Add(NotebookOutput.ExecuteResult(Formatters.Format(value, ctx.Notebook), ctx.CodeCell));
            }
            catch (Exception e)
            {
                return new(Fail(FailureKind.Runtime, null, $"showing the cell's value ({value.GetType().Name}) failed: {e.GetType().Name}: {e.Message}", e.GetType().Name), null);
            }
        }
        return outcome;
    }

    private delegate CellFailure Failer(FailureKind kind, int? line, string message, string ename, IEnumerable<string>? traceback = null);

    /// <summary>#!import: a .cs/.csx file runs as one submission; an .ipynb runs its code cells.</summary>
    private CellOutcome? RunImport(string import, string directory, int codeNo,
        NotebookGlobals globals, CancellationTokenSource cancel, CellContext ctx, ref ScriptState<object>? state, Failer fail)
    {
        var path = Path.GetFullPath(Path.Combine(directory, import));
        if (!File.Exists(path)) return new(fail(FailureKind.Directive, null, $"#!import {import}: file not found ({path})", "DirectiveError"), null);
        var ext = Path.GetExtension(path).ToLowerInvariant();
        List<string> sources;
        if (ext is ".cs" or ".csx") sources = [File.ReadAllText(path)];
        else if (ext == ".ipynb")
        {
            try
            {
                sources = Notebook.Load(path).CodeCells.Select(c => c.Source).ToList();
            }
            catch (NotebookFormatException e)
            {
                return new(fail(FailureKind.Directive, null, $"#!import {import}: {e.Message}", "DirectiveError"), null);
            }
        }
        else return new(fail(FailureKind.Directive, null, $"#!import {import}: only .cs, .csx and .ipynb files can be imported", "DirectiveError"), null);
        for (var i = 0; i < sources.Count; i++)
        {
            var pre = CellPreprocessor.Process(sources[i]);
            foreach (var note in pre.Notes) ctx.Write("stdout", note + "\n");
            if (pre.Error is { } err)
                return new(fail(FailureKind.Directive, null, $"#!import {import} (part {i + 1}), line {err.Line}: {err.Message}", "DirectiveError"), null);
            if (pre.Imports.Count > 0)
                return new(fail(FailureKind.Directive, null, $"#!import {import}: nested #!import is not supported", "DirectiveError"), null);
            var outcome = Execute(pre.Code, $"{Path.GetFileName(path)}#{i + 1}", Path.GetDirectoryName(path)!, globals, cancel, ctx, ref state, codeNo,
                (k, line, msg, ename, tb) => fail(k, null, $"in #!import {import}{(line is { } l ? $" line {l}" : "")}: {msg}", ename, tb));
            if (outcome.Failure != null || outcome.Skip != null) return outcome;
        }
        return null;
    }

    private CellOutcome Execute(string code, string filePath, string directory, NotebookGlobals globals, CancellationTokenSource cancel,
        CellContext ctx, ref ScriptState<object>? state, int codeNo, Failer fail)
    {
        var opts = ScriptEnvironment.ForCell(filePath, Path.GetFullPath(directory));
        var script = state == null
            ? CSharpScript.Create(code, opts, typeof(NotebookGlobals))
            : state.Script.ContinueWith(code, opts);
        var errors = script.Compile().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
        {
            var first = errors[0];
            var line = first.Location.IsInSource ? first.Location.GetLineSpan().StartLinePosition.Line + 1 : (int?)null;
            return new(fail(FailureKind.Compile, line, $"{first.Id}: {first.GetMessage(CultureInfo.InvariantCulture)}", "CompilationError",
                errors.Select(FormatDiagnostic)), null);
        }

        ScriptState<object>? next = null;
        Exception? crash = null;
        var previous = state;
        using var done = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            CellContext.Current = ctx;
            Thread.CurrentThread.CurrentCulture = CultureInfo.InvariantCulture;
            Thread.CurrentThread.CurrentUICulture = CultureInfo.InvariantCulture;
            try
            {
                next = (previous == null
                        ? script.RunAsync(globals, _ => true, cancel.Token)
                        : script.RunFromAsync(previous, _ => true, cancel.Token))
                    .GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                crash = e;
            }
            finally
            {
                done.Set();
            }
        }, 16 << 20) { IsBackground = true, Name = $"notebook cell {codeNo}" };
        var native = options.CaptureNativeOutput ? NativeOutputCapture.TryStart() : null;
        thread.Start();

        var limit = options.EffectiveCellTimeout;
        var finished = done.Wait(limit);
        if (native != null)
        {
            var (nativeOut, nativeErr) = native.Stop();
            ctx.Write("stdout", nativeOut);
            ctx.Write("stderr", nativeErr);
        }
        if (!finished)
        {
            // A hung cell cannot be aborted in .NET: signal cancellation (which also frees the results stores it holds),
            // stop taking its output, give it a grace period to stop, else leave its (background) thread behind; the
            // notebook stops here.
            cancel.Cancel();
            ctx.Closed = true;
            var stopped = done.Wait(options.CancelGrace);
            if (!stopped) Interlocked.Increment(ref abandonedCells);
            return new(fail(FailureKind.Timeout, null, $"the cell did not finish within {limit.TotalSeconds:F0} s (raise it with --timeout); " +
                (stopped ? "it stopped on cancellation" : $"it did not stop within {options.CancelGrace.TotalSeconds:F0} s of cancellation and is left running in the background"),
                "TimeoutError"), null);
        }

        var exception = crash ?? next?.Exception;
        if (exception is NotebookSkippedException skip)
        {
            ctx.Display(new MimeBundle().Add(MimeBundle.Markdown, $"**Notebook skipped:** {skip.Message}").Add(MimeBundle.Plain, $"Notebook skipped: {skip.Message}"));
            return new(null, skip.Message);
        }
        if (exception != null)
        {
            var inner = exception is AggregateException { InnerExceptions.Count: 1 } ae ? ae.InnerExceptions[0] : exception;
            var (line, trace) = ScriptStack(inner, filePath);
            return new(fail(FailureKind.Runtime, line, $"{inner.GetType().Name}: {inner.Message}", inner.GetType().Name, trace), null);
        }

        state = next;
        return new(null, null, next!.ReturnValue);
    }

    private static string FormatDiagnostic(Diagnostic d)
    {
        var where = d.Location.IsInSource ? $"line {d.Location.GetLineSpan().StartLinePosition.Line + 1}: " : "";
        return $"{where}{d.Severity.ToString().ToLowerInvariant()} {d.Id}: {d.GetMessage(CultureInfo.InvariantCulture)}";
    }

    /// <summary>The line of the cell where the exception surfaced, and a stack trace without Roslyn's plumbing.</summary>
    private static (int? Line, List<string> Trace) ScriptStack(Exception e, string filePath)
    {
        int? line = null;
        var trace = new List<string>();
        foreach (var ex in Chain(e))
        {
            if (!ReferenceEquals(ex, e)) trace.Add($"---> {ex.GetType().FullName}: {ex.Message}");
            foreach (var frame in new StackTrace(ex, true).GetFrames())
            {
                var method = frame.GetMethod();
                var ns = method?.DeclaringType?.Namespace ?? "";
                if (ns.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) || ns.StartsWith("System.Runtime.", StringComparison.Ordinal)
                    || ns.StartsWith("Internal.Runtime", StringComparison.Ordinal)) continue;
                var file = frame.GetFileName();
                var lineNo = frame.GetFileLineNumber();
                // Roslyn reports the cell's file path made absolute; cell paths carry no folder, so compare names.
                var isCell = file != null && Path.GetFileName(file) == filePath;
                if (isCell && line == null && lineNo > 0) line = lineNo;
                var name = isCell ? "<cell>" : $"{method?.DeclaringType?.FullName}.{method?.Name}";
                trace.Add(file != null && lineNo > 0
                    ? $"   at {name} in {(isCell ? filePath : Path.GetFileName(file))}, line {lineNo}"
                    : $"   at {name}");
            }
        }
        return (line, trace);
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (var x = e; x != null; x = x.InnerException) yield return x;
    }
}
