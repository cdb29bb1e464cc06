using PartialLoRA.Notebooks;

namespace PartialLoRA.Tests.Notebooks;

/// <summary>The <c>partial-lora notebooks</c> verbs, run as a child process like a user would.</summary>
public class NotebooksCommandTests
{
    [Fact]
    // One child process (Roslyn's cold start costs seconds): three small notebooks and the repository's self-test.
    public void A_failing_cell_makes_run_exit_nonzero_naming_notebook_and_cell_and_the_others_still_run()
    {
        var dir = TestSupport.TempDir("nb-cli");
        File.Copy(Path.Combine(NotebookFiles.NotebooksDir, "99-executor-selftest.ipynb"), Path.Combine(dir, "99-executor-selftest.ipynb"));
        NotebookFiles.Write(dir, "01-ok", "var x = 2;", "display(new Figure(\"f\").Line(new double[] { 1, 2 }, new double[] { x, 3 }));\nConsole.WriteLine(\"printed\");");
        NotebookFiles.Write(dir, "02-compile", "var a = 1;", "var b = a + missing;");
        NotebookFiles.Write(dir, "03-runtime", "Console.WriteLine(\"before\");\nthrow new InvalidOperationException(\"boom\");", "1");
        var outDir = Path.Combine(dir, "out");

        var r = TestSupport.RunCli(TestSupport.CliDll, ["notebooks", "run", "--dir", dir, "--out", outDir, "--profile", "smoke", "--device", "cpu", "--threads", "1"]);

        Assert.True(r.ExitCode == 1, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        Assert.Contains("PASS  01-ok  2/2 code cells", r.Stdout);
        Assert.Contains("FAIL  02-compile  2/2 code cells", r.Stdout);
        Assert.Contains("error: 02-compile: code cell 2 (1-based, counting code cells; cell 5 of 5 overall), line 1: compile error: CS0103: The name 'missing' does not exist", r.Stderr);
        Assert.Contains("error: 03-runtime: code cell 1 (1-based, counting code cells; cell 3 of 5 overall), line 2: runtime error: InvalidOperationException: boom", r.Stderr);
        Assert.Contains("PASS  99-executor-selftest", r.Stdout);
        Assert.Contains("4 notebooks: 2 passed, 2 failed, 0 skipped", r.Stdout);

        // Executed notebooks (outputs and counts) and the report are written; the sources are untouched.
        var executed = Notebook.Load(Path.Combine(outDir, "01-ok.ipynb"));
        Assert.Equal([1, 2], executed.CodeCells.Select(c => c.ExecutionCount ?? 0));
        Assert.Contains(executed.CodeCells.Last().Outputs, o => o.Data?.Has(MimeBundle.Png) == true);
        Assert.All(Notebook.Load(Path.Combine(dir, "01-ok.ipynb")).CodeCells, c => Assert.Empty(c.Outputs));
        var failed = Notebook.Load(Path.Combine(outDir, "03-runtime.ipynb"));
        Assert.Equal(NotebookOutput.ErrorType, failed.CodeCells.First().Outputs.Last().OutputType);
        Assert.Null(failed.CodeCells.Last().ExecutionCount);
        Assert.Contains("02-compile", File.ReadAllText(Path.Combine(outDir, "report.html")));

        // Every notebook of the repository shows a table and a plot; the self-test does in the smoke profile.
        var selfTest = Notebook.Load(Path.Combine(outDir, "99-executor-selftest.ipynb"));
        var bundles = selfTest.CodeCells.SelectMany(c => c.Outputs).Select(o => o.Data).OfType<MimeBundle>().ToList();
        Assert.Contains(bundles, b => b.Get(MimeBundle.Html)?.Contains("plora-df") == true);
        Assert.Contains(bundles, b => b.Has(MimeBundle.Png) && b.Get(MimeBundle.Html)?.Contains("Plotly.newPlot") == true);
    }

    [Fact]
    public void A_cell_left_running_inside_torch_after_its_timeout_still_ends_the_run_with_exit_1_not_a_native_crash()
    {
        // The loop ignores cancellation and spends its time in libtorch: a normal process exit would run libtorch's
        // exit handlers under it and abort (exit 134/139 with a native stack trace after the summary).
        var dir = TestSupport.TempDir("nb-cli-hang");
        NotebookFiles.Write(dir, "01-hang", "var a = TorchSharp.torch.randn(200, 200);\nwhile (true) { using var b = a.matmul(a); }");
        var r = TestSupport.RunCli(TestSupport.CliDll, ["notebooks", "run", "--dir", dir, "--no-report", "--timeout", "1", "--cancel-grace", "0.5",
            "--device", "cpu", "--threads", "1"]);
        Assert.True(r.ExitCode == 1, $"exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        Assert.Contains("FAIL  01-hang  1/1 code cells", r.Stdout);
        Assert.Contains("1 notebook: 0 passed, 1 failed, 0 skipped", r.Stdout);
        Assert.Contains("error: 01-hang: code cell 1 (1-based, counting code cells; cell 3 of 3 overall): timeout: the cell did not finish within 1 s", r.Stderr);
        Assert.Contains("left running in the background", r.Stderr);
        Assert.DoesNotContain("frame #", r.Stderr);
        Assert.Equal("failed", (string?)PartialLoRA.Notebooks.Execution.RunInfo.Execution(Notebook.Load(Path.Combine(dir, "out", "01-hang.ipynb")))!["status"]);
    }

    [Fact]
    public void Unknown_names_and_bad_options_give_one_line_errors()
    {
        var dir = TestSupport.TempDir("nb-cli-names");
        NotebookFiles.Write(dir, "01-a", "1");
        var r = TestSupport.RunCli(TestSupport.CliDll, ["notebooks", "run", "07", "--dir", dir]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"error: no notebook named '07' in {dir} (available: 01-a)", r.Stderr.Trim());

        var p = TestSupport.RunCli(TestSupport.CliDll, ["notebooks", "run", "--profile", "huge", "--dir", dir]);
        Assert.NotEqual(0, p.ExitCode);
        Assert.Contains("huge", p.Stderr + p.Stdout);
    }

    [Fact]
    public void List_and_help_describe_the_notebooks_and_options()
    {
        var dir = TestSupport.TempDir("nb-cli-list");
        new PartialLoRA.Notebooks.Authoring.NotebookBuilder("05-b").Paper("Table 3").Markdown("# Sparsity ratios").Code("1").Save(Path.Combine(dir, "05-b.ipynb"));
        var l = TestSupport.RunCli(TestSupport.CliDll, ["notebooks", "list", "--dir", dir]);
        Assert.Equal(0, l.ExitCode);
        Assert.Matches(@"05-b\s+Table 3\s+1 code cells  Sparsity ratios", l.Stdout);

        var h = TestSupport.RunCli(TestSupport.CliDll, ["notebooks", "run", "--help"]);
        Assert.Equal(0, h.ExitCode);
        foreach (var option in new[] { "--profile", "--out", "--in-place", "--timeout", "--seed", "--data", "--results" })
            Assert.Contains(option, h.Stdout);
    }

    [Fact]
    public void Build_writes_notebooks_from_sources_and_check_detects_stale_ones()
    {
        var dir = TestSupport.TempDir("nb-cli-build");
        var src = Path.Combine(dir, "src");
        Directory.CreateDirectory(src);
        File.WriteAllText(Path.Combine(src, "10-x.md"), "# X\n```csharp\n1 + 1\n```\n");
        var b = TestSupport.RunCli(TestSupport.CliDll, ["notebooks", "build", "--dir", dir]);
        Assert.Equal(0, b.ExitCode);
        Assert.Equal("1 + 1", Notebook.Load(Path.Combine(dir, "10-x.ipynb")).CodeCells.Single().Source);
        Assert.Equal(0, TestSupport.RunCli(TestSupport.CliDll, ["notebooks", "build", "--dir", dir, "--check"]).ExitCode);

        File.WriteAllText(Path.Combine(src, "10-x.md"), "# X\n```csharp\n2 + 2\n```\n");
        var c = TestSupport.RunCli(TestSupport.CliDll, ["notebooks", "build", "--dir", dir, "--check"]);
        Assert.Equal(1, c.ExitCode);
        Assert.Contains("STALE", c.Stdout);
    }
}
