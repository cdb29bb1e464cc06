using System.Text.Json.Nodes;

namespace PartialLoRA.Notebooks.Authoring;

/// <summary>
/// Whether two notebooks have the same inputs (cells and their sources, project metadata), outputs and their execution
/// record aside.
/// </summary>
public static class NotebookInputs
{
    public static bool Same(Notebook a, Notebook b)
    {
        if (a.Cells.Count != b.Cells.Count) return false;
        if (ProjectInputs(a) != ProjectInputs(b)) return false;
        if ((string?)a.Metadata["kernelspec"]?["name"] != (string?)b.Metadata["kernelspec"]?["name"]) return false;
        for (var i = 0; i < a.Cells.Count; i++)
        {
            var (x, y) = (a.Cells[i], b.Cells[i]);
            if (x.Type != y.Type || x.Id != y.Id || x.Source != y.Source) return false;
        }
        return true;
    }

    private static string? ProjectInputs(Notebook nb)
    {
        if (nb.Metadata[NotebookBuilder.MetadataKey] is not JsonObject o) return nb.Metadata[NotebookBuilder.MetadataKey]?.ToJsonString();
        var copy = (JsonObject)o.DeepClone();
        copy.Remove(Execution.RunInfo.ExecutionKey);
        return copy.Count == 0 ? null : copy.ToJsonString(); // a notebook without project fields gets them from its stamp alone
    }
}
