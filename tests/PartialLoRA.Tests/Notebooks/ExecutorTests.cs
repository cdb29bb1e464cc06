using PartialLoRA.Notebooks;
using PartialLoRA.Notebooks.Authoring;
using PartialLoRA.Notebooks.Execution;

namespace PartialLoRA.Tests.Notebooks;

/// <summary>Roslyn's first compilation takes seconds: the executor tests share one process-wide warm-up and run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ExecutorCollection : ICollectionFixture<ExecutorFixture>
{
    public const string Name = "notebook executor";
}

public sealed class ExecutorFixture
{
    public ExecutorFixture() => NotebookExecutor.Warm();

    public static readonly ExecutorOptions Options = new()
    {
        Profile = NotebookProfile.Smoke,
        DataRoot = "/data-root",
        ResultsDir = "/results-store",
        OutputDir = "/out-dir",
        Seed = 7,
        CellTimeout = TimeSpan.FromSeconds(60),
        CancelGrace = TimeSpan.FromSeconds(0.5),
        CaptureNativeOutput = false,
        SeedTorch = false,
    };

    public static (NotebookRunResult Result, Notebook Notebook) Run(ExecutorOptions options, params string[] cells)
    {
        // Built by hand, not with NotebookBuilder: that one refuses what some tests need to feed the executor.
        var nb = Notebook.CreateCSharp("exec-test");
        nb.Add(NotebookCell.Markdown("# Executor test"));
        foreach (var c in cells) nb.Add(NotebookCell.Code(c));
        var r = new NotebookExecutor(options).Run(nb, "exec-test", Path.GetTempPath());
        return (r, nb);
    }

    public static (NotebookRunResult Result, Notebook Notebook) Run(params string[] cells) => Run(Options, cells);
}

[Collection(ExecutorCollection.Name)]
public class ExecutorTests
{
    private static NotebookCell Code(Notebook nb, int n) => nb.CodeCells.ElementAt(n - 1);

    private static string Stdout(NotebookCell c) => string.Concat(c.Outputs.Where(o => o.StreamName == "stdout").Select(o => o.Text));

    [Fact]
    public void State_persists_across_cells_and_each_cell_keeps_its_own_stdout()
    {
        var (r, nb) = ExecutorFixture.Run(
            "var x = 20;\nrecord Point(int X, int Y);\nConsole.WriteLine(\"first\");",
            "using System.Numerics;\nConsole.WriteLine($\"second {x + 1}\");\nvar p = new Point(1, 2);",
            "Console.Write(\"third \"); Console.Out.Write('!');\nnew Point(x, BigInteger.One.IsOne ? 1 : 0)");
        Assert.Equal(NotebookStatus.Passed, r.Status);
        Assert.Equal(3, r.CellsRun);
        Assert.Equal("first\n", Stdout(Code(nb, 1)));
        Assert.Equal("second 21\n", Stdout(Code(nb, 2)));
        Assert.Equal("third !", Stdout(Code(nb, 3)));
        var result = Code(nb, 3).Outputs.Single(o => o.OutputType == NotebookOutput.ExecuteResultType);
        Assert.Equal("Point { X = 20, Y = 1 }", result.Data!.Get(MimeBundle.Plain));
        Assert.Equal([1, 2, 3], nb.CodeCells.Select(c => c.ExecutionCount ?? 0));
        Assert.Equal(3, result.ExecutionCount);
    }

    [Fact]
    public void Globals_expose_the_run_settings()
    {
        var (r, nb) = ExecutorFixture.Run("$\"{Profile.Name()}|{Seed}|{DataRoot}|{ResultsDir}|{OutputDir}|{NotebookName}|{ByProfile(1, 2, 3)}|{IsSmoke}\"");
        Assert.Equal(NotebookStatus.Passed, r.Status);
        Assert.Equal("smoke|7|/data-root|/results-store|/out-dir|exec-test|1|True", Code(nb, 1).Outputs.Single().Data!.Get(MimeBundle.Plain));
        var (_, lab) = ExecutorFixture.Run(ExecutorFixture.Options with { Profile = NotebookProfile.Lab }, "ByProfile(\"s\", \"l\", \"p\")");
        Assert.Equal("l", Code(lab, 1).Outputs.Single().Data!.Get(MimeBundle.Plain));
    }

    [Fact]
    public void Display_outputs_dataframes_figures_and_markdown_in_order()
    {
        var (r, nb) = ExecutorFixture.Run(
            "Console.WriteLine(\"before\");\ndisplay(new DataFrame(new DoubleDataFrameColumn(\"acc\", new[] { 1.5, 2.25 })));\nConsole.WriteLine(\"after\");",
            "display(new Figure(\"a\").Line(new double[] { 1, 2 }, new double[] { 3, 4 }));\nnew Figure(\"b\").Bar(new[] { \"x\", \"y\" }, new double[] { 1, 2 })",
            "\"# md\".DisplayAs(\"text/markdown\");\nMarkdown(\"**done**\").Display();\ndisplay(Html(\"<b>x</b>\"));\ndisplay(1.5, \"text/plain\");");
        Assert.Equal(NotebookStatus.Passed, r.Status);
        var c1 = Code(nb, 1).Outputs;
        Assert.Equal(["stream", "display_data", "stream"], c1.Select(o => o.OutputType));
        Assert.Equal(["text/html", "text/plain"], c1[1].Data!.Data.Keys);

        var c2 = Code(nb, 2).Outputs;
        Assert.Equal(["display_data", "execute_result"], c2.Select(o => o.OutputType));
        Assert.Equal(["image/png", "text/html", "text/plain"], c2[0].Data!.Data.Keys);
        Assert.Equal(["image/png", "text/html", "text/plain"], c2[1].Data!.Data.Keys);
        // plotly.js is inlined once per notebook: in its first chart only.
        Assert.Contains("data-plora-plotlyjs", c2[0].Data!.Get(MimeBundle.Html));
        Assert.DoesNotContain("data-plora-plotlyjs", c2[1].Data!.Get(MimeBundle.Html));
        Assert.Contains("fig-exec-test-1", c2[0].Data!.Get(MimeBundle.Html));
        Assert.Contains("fig-exec-test-2", c2[1].Data!.Get(MimeBundle.Html));

        var c3 = Code(nb, 3).Outputs;
        Assert.Equal("# md", c3[0].Data!.Get(MimeBundle.Markdown));
        Assert.Equal("**done**", c3[1].Data!.Get(MimeBundle.Markdown));
        Assert.Equal("<b>x</b>", c3[2].Data!.Get(MimeBundle.Html));
        Assert.Equal(["text/plain"], c3[3].Data!.Data.Keys);
    }

    [Fact]
    public void Without_embedded_plotlyjs_figures_keep_the_png_and_the_report_supplies_the_library()
    {
        var (r, nb) = ExecutorFixture.Run(ExecutorFixture.Options with { EmbedPlotlyJs = false }, "new Figure(\"a\").Line(new double[] { 1, 2 }, new double[] { 3, 4 })");
        var html = Code(nb, 1).Outputs.Single().Data!.Get(MimeBundle.Html)!;
        Assert.Contains("Plotly.newPlot", html);
        Assert.Contains("data:image/png;base64,", html);
        Assert.DoesNotContain("data-plora-plotlyjs", html);
        Assert.True(html.Length < 200_000, $"{html.Length} characters");
        var report = PartialLoRA.Notebooks.Report.HtmlReport.Render([r], new("smoke", 7, "cpu", "test"));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(report, "data-plora-plotlyjs="));
    }

    [Fact]
    public void Nuget_references_to_project_packages_are_satisfied_with_a_note()
    {
        var (r, nb) = ExecutorFixture.Run("#r \"nuget: Microsoft.Data.Analysis, 0.21.1\"\n#r \"nuget:TorchSharp-cpu\"\n#r \"../src/PartialLoRA/bin/Release/net10.0/PartialLoRA.dll\"\n#i \"nuget: https://example.org/feed\"\n#!csharp\nusing Microsoft.DotNet.Interactive;\n1");
        Assert.Equal(NotebookStatus.Passed, r.Status);
        var text = Stdout(Code(nb, 1));
        Assert.Contains("using the project's Microsoft.Data.Analysis 0.23.1 (the notebook asks for 0.21.1; the version difference is ignored)", text);
        Assert.Contains("using the project's Torch backend", text);
        Assert.Contains("PartialLoRA.dll\": already loaded", text);
        Assert.Contains("ignored, the executor uses the project's own packages", text);
    }

    [Theory]
    [InlineData("#r \"nuget: Newtonsoft.Json.Schema, 3.0\"", 2, "package 'Newtonsoft.Json.Schema' is not available; the executor does not download packages and offers only the project's own: PartialLoRA")]
    [InlineData("#!fsharp\nlet x = 1", 1, "#!fsharp selects Polyglot's 'fsharp' kernel; this executor runs C# cells only")]
    [InlineData("#!who", 1, "magic command #!who is not supported here")]
    [InlineData("#r \"../other/Other.csproj\"", 1, "the executor does not build projects")]
    public void Unsatisfiable_directives_fail_the_cell_naming_the_line(string cell, int line, string expected)
    {
        var (r, nb) = ExecutorFixture.Run("var ok = 1;", line == 2 ? "// first line\n" + cell : cell, "ok");
        Assert.Equal(NotebookStatus.Failed, r.Status);
        Assert.Equal(FailureKind.Directive, r.Failure!.Kind);
        Assert.Equal(2, r.Failure.CodeCell);
        Assert.Equal(line, r.Failure.Line);
        Assert.Contains(expected, r.Failure.Message);
        Assert.Null(Code(nb, 3).ExecutionCount); // not run
    }

    [Fact]
    public void A_compile_error_names_notebook_code_cell_and_line_and_stops_the_notebook()
    {
        var (r, nb) = ExecutorFixture.Run("var a = 1;", "var b = a;\nvar c = undefinedName + 1;", "Console.WriteLine(\"never\");");
        Assert.Equal(NotebookStatus.Failed, r.Status);
        var f = r.Failure!;
        Assert.Equal((FailureKind.Compile, 2, 2, 2), (f.Kind, f.CodeCell, f.CellIndex, f.Line ?? 0));
        Assert.Equal("exec-test: code cell 2 (1-based, counting code cells; cell 3 of 4 overall), line 2: compile error: CS0103: The name 'undefinedName' does not exist in the current context",
            f.Describe("exec-test"));
        var err = Code(nb, 2).Outputs.Single(o => o.OutputType == NotebookOutput.ErrorType);
        Assert.Equal("CompilationError", err.ErrorName);
        Assert.Contains("line 2: error CS0103", string.Join("\n", err.Traceback));
        Assert.Equal(2, r.CellsRun);
        Assert.Null(Code(nb, 3).ExecutionCount);
        Assert.Empty(Code(nb, 3).Outputs);
    }

    [Fact]
    public void A_runtime_exception_names_the_line_and_keeps_earlier_output()
    {
        var (r, nb) = ExecutorFixture.Run("int Divide(int a, int b) => a / b;", "Console.WriteLine(\"start\");\nvar zero = 0;\nvar q = Divide(1, zero);");
        var f = r.Failure!;
        Assert.Equal((FailureKind.Runtime, 2, 3), (f.Kind, f.CodeCell, f.Line ?? 0));
        Assert.Equal("DivideByZeroException: Attempted to divide by zero.", f.Message);
        var outs = Code(nb, 2).Outputs;
        Assert.Equal("start\n", outs[0].Text);
        var tb = string.Join("\n", outs[1].Traceback);
        Assert.Contains("exec-test.ipynb#code-cell-1, line 1", tb); // the helper defined in cell 1
        Assert.Contains("<cell> in exec-test.ipynb#code-cell-2, line 3", tb);
    }

    [Fact]
    public void A_hung_cell_times_out_and_the_notebook_stops()
    {
        var started = DateTime.UtcNow;
        var (r, nb) = ExecutorFixture.Run(ExecutorFixture.Options with { CellTimeout = TimeSpan.FromSeconds(0.5) },
            "Console.WriteLine(\"going to sleep\");\nThread.Sleep(3000);\nConsole.WriteLine(\"woke up\");", "1");
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(2.5), "the executor waited for the hung cell");
        Assert.Equal(FailureKind.Timeout, r.Failure!.Kind);
        Assert.Contains("did not finish within 0 s", r.Failure.Message.Replace("1 s", "0 s"));
        Assert.Contains("left running in the background", r.Failure.Message);
        Assert.Equal("going to sleep\n", Stdout(Code(nb, 1)));
        Assert.Null(Code(nb, 2).ExecutionCount);
    }

    [Fact]
    public void Cancellation_is_signalled_to_cooperative_cells_on_timeout()
    {
        var (r, _) = ExecutorFixture.Run(ExecutorFixture.Options with { CellTimeout = TimeSpan.FromSeconds(0.3) },
            "while (!Cancellation.IsCancellationRequested) Thread.Sleep(10);\nthrow new OperationCanceledException();");
        Assert.Equal(FailureKind.Timeout, r.Failure!.Kind);
        Assert.Contains("it stopped on cancellation", r.Failure.Message);
    }

    [Fact]
    public void A_timed_out_cell_that_never_stops_leaves_the_results_store_usable_for_the_next_notebook()
    {
        var store = TestSupport.TempDir("store");
        var hung = ExecutorFixture.Options with { CellTimeout = TimeSpan.FromSeconds(0.5), CancelGrace = TimeSpan.Zero, ResultsDir = store };
        var (r, _) = ExecutorFixture.Run(hung,
            "var writer = PartialLoRA.Experiments.ResultsWriter.Open(ResultsDir, null, Cancellation);\nThread.Sleep(5000);");
        Assert.Equal(FailureKind.Timeout, r.Failure!.Kind);
        var (next, nb) = ExecutorFixture.Run(hung with { CellTimeout = TimeSpan.FromSeconds(60) },
            "using (var w = PartialLoRA.Experiments.ResultsWriter.Open(ResultsDir, null)) Console.WriteLine(w.File);");
        Assert.Equal(NotebookStatus.Passed, next.Status);
        Assert.Equal(Path.Combine(store, "results.jsonl") + "\n", Stdout(Code(nb, 1)));
    }

    [Fact]
    public void SkipNotebook_ends_the_notebook_without_failing_it()
    {
        var (r, nb) = ExecutorFixture.Run("if (!File.Exists(\"/no/such/weights.safetensors\")) SkipNotebook(\"paper profile needs LLaMA weights in /no/such\");", "1");
        Assert.Equal(NotebookStatus.Skipped, r.Status);
        Assert.Equal("paper profile needs LLaMA weights in /no/such", r.SkipReason);
        Assert.Contains("**Notebook skipped:**", Code(nb, 1).Outputs.Single().Data!.Get(MimeBundle.Markdown));
        Assert.Null(Code(nb, 2).ExecutionCount);
    }

    [Fact]
    public void Time_directive_reports_the_wall_time_before_the_value()
    {
        var (_, nb) = ExecutorFixture.Run("#!time\n42");
        var outs = Code(nb, 1).Outputs;
        Assert.StartsWith("Wall time: ", outs[0].Text);
        Assert.Equal("42", outs[1].Data!.Get(MimeBundle.Plain));
    }

    [Fact]
    public void Native_writes_to_stdout_are_captured_into_the_cell()
    {
        if (!OperatingSystem.IsLinux()) return;
        var (r, nb) = ExecutorFixture.Run(ExecutorFixture.Options with { CaptureNativeOutput = true },
            "using System.Runtime.InteropServices;\npublic static class Native { [DllImport(\"libc\")] public static extern nint write(int fd, byte[] b, nint n); }",
            "var bytes = System.Text.Encoding.UTF8.GetBytes(\"native hello\\n\");\nNative.write(1, bytes, bytes.Length);");
        Assert.Equal(NotebookStatus.Passed, r.Status);
        Assert.Contains("native hello", string.Concat(Code(nb, 2).Outputs.Select(o => o.Text)));
    }

    [Fact]
    public void Import_runs_a_csx_file_before_the_cell()
    {
        var dir = TestSupport.TempDir("nb-import");
        File.WriteAllText(Path.Combine(dir, "helpers.csx"), "static int Twice(int v) => 2 * v;");
        var nb = new NotebookBuilder("imp").Code("#!import helpers.csx\nTwice(21)").Build();
        var r = new NotebookExecutor(ExecutorFixture.Options).Run(nb, "imp", dir);
        Assert.Equal(NotebookStatus.Passed, r.Status);
        Assert.Equal("42", nb.CodeCells.Single().Outputs.Single().Data!.Get(MimeBundle.Plain));
    }
}

[Collection(ExecutorCollection.Name)]
public class NotebookBatchTests
{
    [Fact]
    public void A_batch_runs_every_notebook_writes_them_in_place_or_to_out_and_one_report()
    {
        var dir = TestSupport.TempDir("nb-batch");
        var a = NotebookFiles.Write(dir, "01-a", "Console.WriteLine(\"a\");");
        var b = NotebookFiles.Write(dir, "02-b", "throw new Exception(\"b\");", "1");
        var outDir = Path.Combine(dir, "out");
        var paths = NotebookCatalog.Select(dir, []);
        Assert.Equal([a, b], paths);

        var res = NotebookBatch.Run(new NotebookExecutor(ExecutorFixture.Options), new BatchOptions(paths, outDir, InPlace: true,
            new RunInfo("smoke", 7, "cpu", "test") { Threads = 2 }));
        Assert.False(res.AllSucceeded);
        Assert.Equal([NotebookStatus.Passed, NotebookStatus.Failed], res.Runs.Select(r => r.Status));
        Assert.Equal("a\n", Notebook.Load(a).CodeCells.Single().Outputs.Single().Text); // written back in place
        Assert.False(File.Exists(Path.Combine(outDir, "01-a.ipynb")));
        Assert.True(File.Exists(Path.Combine(outDir, "report.html")));

        // each executed notebook says what produced its outputs; that record is not an input of the notebook
        var stampA = RunInfo.Execution(Notebook.Load(a))!;
        Assert.Equal("passed", (string?)stampA["status"]);
        Assert.Equal("smoke", (string?)stampA["profile"]);
        Assert.Equal(7, (int)stampA["seed"]!);
        Assert.Equal(2, (int)stampA["threads"]!);
        Assert.Equal(PartialLoRA.Experiments.CodeVersion.Current, (string?)stampA["code"]);
        Assert.True((double)stampA["seconds"]! >= 0);
        var stampB = RunInfo.Execution(Notebook.Load(b))!;
        Assert.Equal("failed", (string?)stampB["status"]);
        Assert.Equal(1, (int)stampB["code_cells_run"]!);
        Assert.Equal(2, (int)stampB["code_cells"]!);
        Assert.True(NotebookInputs.Same(Notebook.Load(a), NotebookFiles.Build("01-a", "Console.WriteLine(\"a\");")));
        Assert.False(NotebookInputs.Same(Notebook.Load(a), NotebookFiles.Build("01-a", "Console.WriteLine(\"b\");")));
        Assert.Contains("code " + PartialLoRA.Experiments.CodeVersion.Current, File.ReadAllText(Path.Combine(outDir, "report.html")));
    }

    [Fact]
    public void Names_select_by_exact_name_or_prefix_and_non_csharp_notebooks_are_refused_before_running()
    {
        var dir = TestSupport.TempDir("nb-select");
        foreach (var n in new[] { "01-x", "01-xy", "02-z" }) NotebookFiles.Write(dir, n, "1");
        Assert.Equal(["01-x"], NotebookCatalog.Select(dir, ["01-x"]).Select(Path.GetFileNameWithoutExtension));
        Assert.Equal(["01-x", "01-xy"], NotebookCatalog.Select(dir, ["01"]).Select(Path.GetFileNameWithoutExtension));
        Assert.Equal(["01-x", "02-z"], NotebookCatalog.Select(dir, ["02-z.ipynb", "01-x"]).Select(Path.GetFileNameWithoutExtension));

        var py = Path.Combine(dir, "03-py.ipynb");
        File.WriteAllText(py, """{"cells": [], "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}""");
        var e = Assert.Throws<NotebookFormatException>(() =>
            NotebookBatch.Run(new NotebookExecutor(ExecutorFixture.Options), new BatchOptions([NotebookCatalog.Select(dir, ["01-x"])[0], py], dir, false, new RunInfo("smoke", 7, "cpu", "test"), Report: false)));
        Assert.Contains("03-py.ipynb: not a C# notebook (metadata.kernelspec.name is 'python3'", e.Message);
        Assert.Empty(Notebook.Load(Path.Combine(dir, "01-x.ipynb")).CodeCells.Single().Outputs); // nothing ran
    }
}
