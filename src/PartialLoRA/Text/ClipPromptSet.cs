using System.Text;

namespace PartialLoRA.Text;

/// <summary>
/// One dataset's class names and prompt templates from OpenAI CLIP's <c>prompts.md</c> (data/clip/prompts.md):
/// <c>classes</c> (a name per class, or a list of synonyms per class as for FER2013) and <c>templates</c> with
/// <c>{}</c> for the class name.
/// </summary>
public sealed record ClipPromptSet(string Dataset, IReadOnlyList<IReadOnlyList<string>> Classes, IReadOnlyList<string> Templates)
{
    /// <summary>Every dataset section of a prompts.md file (<c>## Name</c> followed by <c>classes = [...]</c> and <c>templates = [...]</c>).</summary>
    public static IReadOnlyList<ClipPromptSet> ParseFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: CLIP prompts file not found (prompts.md from github.com/openai/CLIP/blob/main/data)", path);
        var text = File.ReadAllText(path);
        var sets = new List<ClipPromptSet>();
        var sections = text.Split("\n## ");
        foreach (var section in sections.Skip(1))
        {
            var name = section[..section.IndexOf('\n')].Trim();
            var classes = ParseList(section, "classes", path, name);
            var templates = ParseList(section, "templates", path, name);
            if (classes is null || templates is null) continue;
            sets.Add(new ClipPromptSet(
                name,
                classes.Select(c => c as IReadOnlyList<string> ?? [(string)c]).ToList(),
                templates.Select(t => t as string ?? throw new InvalidDataException($"{path}: {name}: templates must be strings")).ToList()));
        }
        if (sets.Count == 0) throw new InvalidDataException($"{path}: no '## Dataset' sections with classes and templates");
        return sets;
    }

    /// <summary>The set named <paramref name="dataset"/> (case-insensitive), with the names available in the error.</summary>
    public static ClipPromptSet Load(string path, string dataset)
    {
        var sets = ParseFile(path);
        return sets.FirstOrDefault(s => string.Equals(s.Dataset, dataset, StringComparison.OrdinalIgnoreCase))
               ?? throw new ArgumentException($"{path}: no dataset '{dataset}'; available: {string.Join(", ", sets.Select(s => s.Dataset))}");
    }

    // A Python list literal of strings or lists of strings, as prompts.md writes them.
    private static List<object>? ParseList(string section, string variable, string path, string dataset)
    {
        var start = section.IndexOf(variable + " = [", StringComparison.Ordinal);
        if (start < 0) return null;
        int i = start + variable.Length + 3;
        var (list, _) = ReadList(section, i, path, dataset);
        return list;
    }

    private static (List<object> List, int Next) ReadList(string s, int i, string path, string dataset)
    {
        if (s[i] != '[') throw Bad(path, dataset, "'['");
        i++;
        var items = new List<object>();
        while (i < s.Length)
        {
            var c = s[i];
            if (char.IsWhiteSpace(c) || c == ',') { i++; continue; }
            if (c == ']') return (items, i + 1);
            if (c == '[')
            {
                var (inner, next) = ReadList(s, i, path, dataset);
                items.Add(inner.Select(x => x as string ?? throw Bad(path, dataset, "strings in nested lists")).ToList());
                i = next;
                continue;
            }
            if (c is '\'' or '"')
            {
                var sb = new StringBuilder();
                i++;
                while (i < s.Length && s[i] != c)
                {
                    if (s[i] == '\\' && i + 1 < s.Length) i++;
                    sb.Append(s[i++]);
                }
                if (i >= s.Length) throw Bad(path, dataset, "a closing quote");
                items.Add(sb.ToString());
                i++;
                continue;
            }
            throw Bad(path, dataset, $"a string, a list or ']' (found '{c}')");
        }
        throw Bad(path, dataset, "']'");
    }

    private static InvalidDataException Bad(string path, string dataset, string expected) =>
        new($"{path}: section '{dataset}': expected {expected}");
}
