using System.Text.Json.Nodes;
using PartialLoRA.Notebooks;

namespace PartialLoRA.Tests.Notebooks;

public class IpynbTests
{
    // Written the way Jupyter / VS Code save notebooks: sorted keys, one-space indent, lists of lines, raw UTF-8,
    // only quotes, backslashes and control characters escaped, trailing newline. Unknown keys at every level.
    private const string JupyterStyle = """
{
 "cells": [
  {
   "attachments": {
    "x.png": {
     "image/png": "iVBORw0KGgo="
    }
   },
   "cell_type": "markdown",
   "id": "a1",
   "metadata": {
    "tags": [
     "intro"
    ]
   },
   "source": [
    "# Ünïcödé σ → ∞ <b>&amp;</b> \"quoted\" back\\slash\n",
    "tab\tand escape \u001b[31m"
   ]
  },
  {
   "cell_type": "code",
   "execution_count": 3,
   "id": "b2",
   "metadata": {
    "dotnet_interactive": {
     "language": "csharp"
    },
    "polyglot_notebook": {
     "kernelName": "csharp"
    }
   },
   "outputs": [
    {
     "name": "stdout",
     "output_type": "stream",
     "text": [
      "hello\n",
      "world\n"
     ]
    },
    {
     "data": {
      "image/png": "iVBORw0KGgo=",
      "text/plain": [
       "line 1\n",
       "line 2"
      ]
     },
     "execution_count": 3,
     "metadata": {
      "image/png": {
       "width": 10
      }
     },
     "output_type": "execute_result"
    }
   ],
   "source": "var x = 1;\nx + 1"
  },
  {
   "cell_type": "raw",
   "id": "c3",
   "metadata": {},
   "source": []
  }
 ],
 "metadata": {
  "custom_extension": {
   "keep": true
  },
  "kernelspec": {
   "display_name": ".NET (C#)",
   "language": "C#",
   "name": ".net-csharp"
  },
  "language_info": {
   "name": "polyglot-notebook"
  },
  "polyglot_notebook": {
   "kernelInfo": {
    "defaultKernelName": "csharp",
    "items": [
     {
      "aliases": [],
      "name": "csharp"
     }
    ]
   }
  }
 },
 "nbformat": 4,
 "nbformat_minor": 5
}

""";

    [Fact]
    public void A_notebook_saved_by_Jupyter_round_trips_byte_for_byte()
    {
        var text = JupyterStyle.ReplaceLineEndings("\n");
        var nb = Notebook.Parse(text, "jupyter.ipynb");
        Assert.Equal(text, nb.ToJson());
    }

    [Fact]
    public void Keys_are_written_sorted_like_Jupyter_and_VS_Code_do()
    {
        var nb = Notebook.Parse("""{"nbformat_minor": 5, "nbformat": 4, "metadata": {"z": 1, "a": {"y": 2, "b": 3}}, "cells": []}""", "u.ipynb");
        Assert.Equal("{\n \"cells\": [],\n \"metadata\": {\n  \"a\": {\n   \"b\": 3,\n   \"y\": 2\n  },\n  \"z\": 1\n },\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}\n", nb.ToJson());
    }

    [Fact]
    public void Cells_sources_and_outputs_are_read_from_both_text_forms()
    {
        var nb = Notebook.Parse(JupyterStyle, "jupyter.ipynb");
        Assert.Equal([CellType.Markdown, CellType.Code, CellType.Raw], nb.Cells.Select(c => c.Type));
        Assert.StartsWith("# Ünïcödé σ → ∞", nb.Cells[0].Source);
        Assert.EndsWith("escape \u001b[31m", nb.Cells[0].Source);
        var code = nb.Cells[1];
        Assert.Equal("var x = 1;\nx + 1", code.Source); // string form
        Assert.Equal(3, code.ExecutionCount);
        Assert.Equal("hello\nworld\n", code.Outputs[0].Text);
        var data = code.Outputs[1].Data!;
        Assert.Equal("line 1\nline 2", data.Get(MimeBundle.Plain));
        Assert.Equal("iVBORw0KGgo=", data.Get(MimeBundle.Png));
        Assert.Equal("", nb.Cells[2].Source);
        Assert.Equal("csharp", PolyglotMetadata.CellKernel(code));
        Assert.True(PolyglotMetadata.IsCSharpNotebook(nb));
    }

    [Fact]
    public void Outputs_written_by_the_executor_use_nbformat_conventions_and_read_back()
    {
        var nb = Notebook.CreateCSharp("t");
        var cell = NotebookCell.Code("1 + 1", "id-1");
        nb.Add(cell);
        cell.AddOutput(NotebookOutput.Stream("stdout", "a\nb\n"));
        cell.AddOutput(NotebookOutput.ExecuteResult(new MimeBundle().Add(MimeBundle.Plain, "2\nlines").AddPng([1, 2, 3], 4, 5), 1));
        cell.AddOutput(NotebookOutput.Error("E", "bad", ["t: code cell 1", "   at x"]));
        cell.ExecutionCount = 1;

        var json = JsonNode.Parse(nb.ToJson())!;
        var outs = json["cells"]![0]!["outputs"]!.AsArray();
        Assert.Equal(new JsonArray("a\n", "b\n").ToJsonString(), outs[0]!["text"]!.ToJsonString());
        Assert.Equal(new JsonArray("2\n", "lines").ToJsonString(), outs[1]!["data"]!["text/plain"]!.ToJsonString());
        Assert.Equal("AQID", (string?)outs[1]!["data"]!["image/png"]); // base64 stays one string
        Assert.Equal(4, (int)outs[1]!["metadata"]!["image/png"]!["width"]!);
        Assert.Equal(1, (int)outs[1]!["execution_count"]!);

        var back = Notebook.Parse(nb.ToJson(), "again").Cells[0];
        Assert.Equal(["stream", "execute_result", "error"], back.Outputs.Select(o => o.OutputType));
        Assert.Equal("2\nlines", back.Outputs[1].Data!.Get(MimeBundle.Plain));
        Assert.Equal(["t: code cell 1", "   at x"], back.Outputs[2].Traceback);

        back.ClearOutputs();
        Assert.Empty(back.Outputs);
        Assert.Null(back.ExecutionCount);
    }

    [Theory]
    [InlineData("""{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "cells": []}""", "nbformat 3 is not supported")]
    [InlineData("""{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}""", "'cells' missing")]
    [InlineData("""{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "python", "metadata": {}, "source": ""}]}""", "cells[0].cell_type: 'python'")]
    [InlineData("""{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "metadata": {}, "source": [1]}]}""", "cells[0].source[0]: expected a string")]
    [InlineData("""{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "metadata": {}, "source": ""}]}""", "cells[0].outputs: missing")]
    [InlineData("""{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "metadata": {}, "source": "", "outputs": [{"output_type": "picture"}]}]}""", "outputs[0].output_type: 'picture'")]
    [InlineData("""{"nbformat": 4, """, "not valid JSON")]
    public void Malformed_notebooks_are_rejected_naming_the_file_and_field(string json, string expected)
    {
        var e = Assert.Throws<NotebookFormatException>(() => Notebook.Parse(json, "bad.ipynb"));
        Assert.StartsWith("bad.ipynb", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Saving_is_atomic_and_records_the_new_source()
    {
        var dir = TestSupport.TempDir("ipynb-save");
        var nb = Notebook.CreateCSharp();
        nb.Add(NotebookCell.Markdown("# hi", "m1"));
        var path = Path.Combine(dir, "a.ipynb");
        nb.Save(path);
        Assert.Equal(path, nb.Source);
        Assert.Equal(nb.ToJson(), File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir)); // no temp file left beside it
    }

    [Fact]
    public void Cell_ids_are_checked_and_stable()
    {
        Assert.Throws<NotebookFormatException>(() => NotebookCell.Code("x", "not valid!"));
        Assert.Equal(CellIds.Stable("nb", 3), CellIds.Stable("nb", 3));
        Assert.NotEqual(CellIds.Stable("nb", 3), CellIds.Stable("nb", 4));
        Assert.True(CellIds.IsValid(CellIds.Stable("nb", 0)));
    }
}
