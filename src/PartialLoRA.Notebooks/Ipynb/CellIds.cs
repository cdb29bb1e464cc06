using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace PartialLoRA.Notebooks;

/// <summary>nbformat 4.5 cell ids: 1–64 characters from [a-zA-Z0-9-_], unique within a notebook.</summary>
public static partial class CellIds
{
    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex Pattern();

    public static bool IsValid(string id) => Pattern().IsMatch(id);

    public static string Check(string id, string where) =>
        IsValid(id) ? id : throw new NotebookFormatException($"{where}: '{id}' is not a valid cell id (1-64 characters from a-z, A-Z, 0-9, '-', '_')");

    /// <summary>A stable id from the notebook name and the cell's position, so regenerating a notebook does not churn its ids.</summary>
    public static string Stable(string notebookName, int index)
    {
        var h = SHA256.HashData(Encoding.UTF8.GetBytes($"{notebookName}\n{index}"));
        return Convert.ToHexString(h, 0, 6).ToLowerInvariant();
    }
}
