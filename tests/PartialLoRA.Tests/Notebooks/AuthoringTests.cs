using PartialLoRA.Notebooks;
using PartialLoRA.Notebooks.Authoring;

namespace PartialLoRA.Tests.Notebooks;

public class AuthoringTests
{
    [Fact]
    public void The_builder_writes_a_valid_polyglot_csharp_notebook_with_stable_ids()
    {
        var nb = new NotebookBuilder("07-demo").Paper("Table 2")
            .Markdown("""

                # Title
                text
                """)
            .Code("var x = 1;")
            .Build();
        Assert.Empty(NotebookValidator.Validate(nb));
        Assert.Equal(".net-csharp", (string?)nb.Metadata["kernelspec"]!["name"]);
        Assert.Equal("csharp", (string?)nb.Metadata["polyglot_notebook"]!["kernelInfo"]!["defaultKernelName"]);
        Assert.Equal("Table 2", (string?)nb.Metadata["partial_lora"]!["paper"]);
        Assert.Equal("csharp", (string?)nb.Cells[1].Metadata["dotnet_interactive"]!["language"]);
        Assert.Equal("# Title\ntext", nb.Cells[0].Source);
        Assert.Equal(nb.Cells.Select(c => c.Id), new NotebookBuilder("07-demo").Markdown("a").Code("b").Build().Cells.Select(c => c.Id));
        Assert.Equal(5, nb.FormatMinor);
    }

    [Fact]
    public void The_builder_refuses_code_with_syntax_errors_or_unknown_directives()
    {
        var e = Assert.Throws<NotebookFormatException>(() => new NotebookBuilder("bad").Markdown("# t").Code("var x = ;").Code("#!fsharp\nlet x = 1").Build());
        Assert.Contains("(code cell 1), line 1: CS1525", e.Message);
        Assert.Contains("(code cell 2), line 1: #!fsharp selects Polyglot's 'fsharp' kernel", e.Message);
    }

    [Fact]
    public void Markdown_sources_turn_csharp_fences_into_code_cells()
    {
        const string src = """
            ---
            paper: §4.1, Fig. 3
            ---
            # Title
            Intro with `code`.

            ```text
            not a cell
            ```
            <!-- cell -->
            Second markdown cell.
            ```csharp
            var a = 1;

            a + 1
            ```
            ~~~~cs
            Console.WriteLine("```");
            ~~~~
            Closing words.
            """;
        var nb = NotebookSource.Parse(src, "04-x", "04-x.md").Build();
        Assert.Equal([CellType.Markdown, CellType.Markdown, CellType.Code, CellType.Code, CellType.Markdown], nb.Cells.Select(c => c.Type));
        Assert.Equal("# Title\nIntro with `code`.\n\n```text\nnot a cell\n```", nb.Cells[0].Source);
        Assert.Equal("var a = 1;\n\na + 1", nb.Cells[2].Source);
        Assert.Equal("Console.WriteLine(\"```\");", nb.Cells[3].Source);
        Assert.Equal("§4.1, Fig. 3", (string?)nb.Metadata["partial_lora"]!["paper"]);
    }

    [Theory]
    [InlineData("# t\n```csharp\nvar a = 1;\n", "x.md:2: code fence '```csharp' is never closed")]
    [InlineData("---\npaper Table 2\n---\n", "x.md:2: front matter line")]
    [InlineData("```csharp\n\n```\n", "x.md:1: empty csharp code cell")]
    public void Malformed_sources_name_the_line(string src, string expected)
    {
        var e = Assert.Throws<NotebookFormatException>(() => NotebookSource.Parse(src, "x", "x.md"));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Validation_reports_missing_metadata_ids_and_foreign_kernels()
    {
        var nb = Notebook.Parse("""
            {"cells": [{"cell_type": "code", "metadata": {"polyglot_notebook": {"kernelName": "pwsh"}}, "outputs": [], "source": "ls", "execution_count": null},
                       {"cell_type": "markdown", "id": "m", "metadata": {}, "source": "x"},
                       {"cell_type": "markdown", "id": "m", "metadata": {}, "source": "y"}],
             "metadata": {"kernelspec": {"name": "python3", "language": "python"}}, "nbformat": 4, "nbformat_minor": 5}
            """, "p.ipynb");
        var problems = NotebookValidator.Validate(nb);
        Assert.Contains(problems, p => p.Contains("kernelspec.name: expected '.net-csharp'"));
        Assert.Contains(problems, p => p.Contains("cells[0] (code cell 1): no id"));
        Assert.Contains(problems, p => p.Contains("cells[0] (code cell 1): kernel 'pwsh'"));
        Assert.Contains(problems, p => p.Contains("cells[2] (markdown): duplicate id 'm'"));
    }

    [Fact]
    public void The_repository_notebooks_are_valid_and_built_from_their_sources()
    {
        var dir = NotebookFiles.NotebooksDir;
        var sources = Directory.GetFiles(Path.Combine(dir, "src"), "*.md");
        Assert.NotEmpty(sources);
        foreach (var src in sources)
        {
            var target = Path.Combine(dir, Path.GetFileNameWithoutExtension(src) + ".ipynb");
            Assert.True(File.Exists(target), $"{target} is missing: run 'partial-lora notebooks build'");
            var nb = Notebook.Load(target);
            Assert.Empty(NotebookValidator.Validate(nb));
            Assert.True(NotebookInputs.Same(nb, NotebookSource.Load(src).Build()), $"{target} differs from {src}: run 'partial-lora notebooks build'");
        }
    }
}
