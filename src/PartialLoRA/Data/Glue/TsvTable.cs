using System.Text;

namespace PartialLoRA.Data.Glue;

/// <summary>
/// A tab-separated file as GLUE ships it: UTF-8 with an optional BOM, LF or CRLF lines, fields split on every tab
/// with NO quote handling (GLUE's TSVs are written with csv.QUOTE_NONE, so a field may begin with a literal
/// <c>"</c>), empty fields kept. Every row must have the column count of the first row (or of
/// <c>columns</c> for files without a header); a row that does not is an error naming file and line.
/// </summary>
public sealed class TsvTable
{
    public string Source { get; }
    public IReadOnlyList<string>? Header { get; }
    public IReadOnlyList<string[]> Rows { get; }
    /// <summary>The 1-based line number of each row, for messages.</summary>
    public IReadOnlyList<int> LineNumbers { get; }

    private TsvTable(string source, IReadOnlyList<string>? header, List<string[]> rows, List<int> lines) =>
        (Source, Header, Rows, LineNumbers) = (source, header, rows, lines);

    /// <param name="hasHeader">whether the first line names the columns.</param>
    /// <param name="columns">the column count when there is no header.</param>
    public static TsvTable Parse(byte[] data, string source, bool hasHeader, int? columns = null)
    {
        var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(data);
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var lines = text.Split('\n');
        string[]? header = null;
        var rows = new List<string[]>();
        var numbers = new List<int>();
        int width = columns ?? -1;
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].EndsWith('\r') ? lines[i][..^1] : lines[i];
            if (line.Length == 0 && i == lines.Length - 1) break;   // the final newline
            var fields = line.Split('\t');
            if (hasHeader && header == null)
            {
                header = fields;
                if (columns is { } c && c != fields.Length)
                    throw new InvalidDataException($"{source} line 1: header has {fields.Length} columns, expected {c}");
                width = fields.Length;
                continue;
            }
            if (width < 0) width = fields.Length;
            if (fields.Length != width)
                throw new InvalidDataException($"{source} line {i + 1}: {fields.Length} columns, expected {width}");
            rows.Add(fields);
            numbers.Add(i + 1);
        }
        if (hasHeader && header == null) throw new InvalidDataException($"{source}: empty file (expected a header line)");
        return new TsvTable(source, header, rows, numbers);
    }

    /// <summary>The index of column <paramref name="name"/>; an error naming the file and the header otherwise.</summary>
    public int Column(string name)
    {
        var i = Header is null ? -1 : Header.ToList().IndexOf(name);
        return i >= 0 ? i : throw new InvalidDataException($"{Source}: no column '{name}' in header [{string.Join(" | ", Header ?? [])}]");
    }
}
