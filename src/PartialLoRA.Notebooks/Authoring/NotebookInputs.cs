namespace PartialLoRA.Notebooks.Authoring;

/// <summary>Whether two notebooks have the same inputs (cells and their sources, project metadata), outputs aside.</summary>
public static class NotebookInputs
{
    public static bool Same(Notebook a, Notebook b)
    {
        if (a.Cells.Count != b.Cells.Count) return false;
        if (a.Metadata[NotebookBuilder.MetadataKey]?.ToJsonString() != b.Metadata[NotebookBuilder.MetadataKey]?.ToJsonString()) return false;
        if ((string?)a.Metadata["kernelspec"]?["name"] != (string?)b.Metadata["kernelspec"]?["name"]) return false;
        for (var i = 0; i < a.Cells.Count; i++)
        {
            var (x, y) = (a.Cells[i], b.Cells[i]);
            if (x.Type != y.Type || x.Id != y.Id || x.Source != y.Source) return false;
        }
        return true;
    }
}
