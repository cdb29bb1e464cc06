using System.Text;
using System.Text.Json;

namespace PartialLoRA.Data.Registry;

/// <summary>
/// CLIP's class names and prompt templates for one dataset (Radford et al. 2021). A class may have several names
/// (FER2013: "happy", "smiling"); the first is its display name. The paper initialises its linear head from the
/// text embeddings of these prompts.
/// </summary>
public sealed record ClipPromptSet(string Dataset, IReadOnlyList<IReadOnlyList<string>> Classes, IReadOnlyList<string> Templates)
{
    public IReadOnlyList<string> ClassNames => Classes.Select(c => c[0]).ToList();

    /// <summary>Every template filled with every name of class <paramref name="index"/> ('{}' replaced).</summary>
    public IReadOnlyList<string> Prompts(int index) =>
        Classes[index].SelectMany(name => Templates.Select(t => t.Replace("{}", name, StringComparison.Ordinal))).ToList();
}

/// <summary>
/// Parses OpenAI CLIP's published prompt data: <c>data/prompts.md</c> (a <c>## Dataset</c> section per dataset with a
/// Python block <c>classes = [...]</c> and <c>templates = [...]</c>) and
/// <c>notebooks/Prompt_Engineering_for_ImageNet.ipynb</c> (<c>imagenet_classes</c>, <c>imagenet_templates</c>), stored
/// in the data root's <c>clip/</c> folder. The Python literals are read by a small parser for strings (single or
/// double quotes, backslash escapes), nested lists, commas and comments, never evaluated.
/// </summary>
public static class ClipPrompts
{
    public const string Folder = "clip";
    public const string PromptsFile = "prompts.md";
    public const string ImageNetNotebook = "Prompt_Engineering_for_ImageNet.ipynb";
    /// <summary>The key <see cref="Load"/> gives the notebook's ImageNet set.</summary>
    public const string ImageNet = "ImageNet";

    /// <summary>All sets in <paramref name="folder"/>: prompts.md's sections by their heading, plus ImageNet from the notebook.</summary>
    public static IReadOnlyDictionary<string, ClipPromptSet> Load(string folder)
    {
        var md = Path.Combine(folder, PromptsFile);
        var nb = Path.Combine(folder, ImageNetNotebook);
        if (!File.Exists(md) && !File.Exists(nb))
            throw new FileNotFoundException($"CLIP prompt data not found: expected {md} and {nb} (partial-lora data download clip)");
        var all = File.Exists(md) ? ParseMarkdown(File.ReadAllText(md), md).ToDictionary() : [];
        if (File.Exists(nb)) all[ImageNet] = ParseImageNetNotebook(File.ReadAllText(nb), nb);
        return all;
    }

    public static IReadOnlyDictionary<string, ClipPromptSet> ParseMarkdown(string text, string source)
    {
        var sets = new Dictionary<string, ClipPromptSet>(StringComparer.Ordinal);
        var sections = text.Split("\n## ");
        foreach (var section in sections.Skip(1))
        {
            var name = section[..section.IndexOf('\n')].Trim();
            var classes = FindList(section, "classes", $"{source} section '{name}'");
            var templates = FindList(section, "templates", $"{source} section '{name}'");
            if (classes == null || templates == null) continue;
            sets[name] = new ClipPromptSet(name, Classes(classes, $"{source} section '{name}'"), Strings(templates, $"{source} section '{name}' templates"));
        }
        if (sets.Count == 0) throw new InvalidDataException($"{source}: no '## Dataset' sections with classes and templates");
        return sets;
    }

    public static ClipPromptSet ParseImageNetNotebook(string json, string source)
    {
        using var doc = JsonDocument.Parse(json);
        var code = new StringBuilder();
        foreach (var cell in doc.RootElement.GetProperty("cells").EnumerateArray())
        {
            if (cell.GetProperty("cell_type").GetString() != "code") continue;
            var src = cell.GetProperty("source");
            if (src.ValueKind == JsonValueKind.Array) foreach (var l in src.EnumerateArray()) code.Append(l.GetString());
            else code.Append(src.GetString());
            code.Append('\n');
        }
        var text = code.ToString();
        var classes = FindList(text, "imagenet_classes", source) ?? throw new InvalidDataException($"{source}: no 'imagenet_classes = [...]'");
        var templates = FindList(text, "imagenet_templates", source) ?? throw new InvalidDataException($"{source}: no 'imagenet_templates = [...]'");
        return new ClipPromptSet(ImageNet, Classes(classes, source), Strings(templates, source + " templates"));
    }

    private static IReadOnlyList<IReadOnlyList<string>> Classes(List<object> items, string where) =>
        items.Select(i => i switch
        {
            string s => (IReadOnlyList<string>)[s],
            List<object> l when l.Count > 0 && l.All(x => x is string) => l.Cast<string>().ToList(),
            _ => throw new InvalidDataException($"{where}: a class entry is neither a string nor a list of strings"),
        }).ToList();

    private static IReadOnlyList<string> Strings(List<object> items, string where) =>
        items.Select(i => i as string ?? throw new InvalidDataException($"{where}: expected strings only")).ToList();

    /// <summary>The list literal assigned to <paramref name="variable"/> (<c>variable = [ ... ]</c>), or null.</summary>
    private static List<object>? FindList(string text, string variable, string where)
    {
        int at = 0;
        while ((at = text.IndexOf(variable, at, StringComparison.Ordinal)) >= 0)
        {
            var before = at == 0 ? '\n' : text[at - 1];
            int p = at + variable.Length;
            at = p;
            if (char.IsLetterOrDigit(before) || before == '_') continue;
            while (p < text.Length && text[p] is ' ' or '\t') p++;
            if (p >= text.Length || text[p] != '=') continue;
            p++;
            while (p < text.Length && char.IsWhiteSpace(text[p])) p++;
            if (p >= text.Length || text[p] != '[') continue;
            return ParseList(text, ref p, $"{where}: {variable}");
        }
        return null;
    }

    private static List<object> ParseList(string s, ref int p, string where)
    {
        p++;   // '['
        var items = new List<object>();
        while (true)
        {
            Skip(s, ref p);
            if (p >= s.Length) throw new InvalidDataException($"{where}: list is not closed");
            var c = s[p];
            if (c == ']') { p++; return items; }
            if (c == ',') { p++; continue; }
            if (c == '[') items.Add(ParseList(s, ref p, where));
            else if (c is '\'' or '"') items.Add(ParseString(s, ref p, where));
            else throw new InvalidDataException($"{where}: unexpected '{c}' in a list literal");
        }
    }

    private static void Skip(string s, ref int p)
    {
        while (p < s.Length)
        {
            if (char.IsWhiteSpace(s[p])) p++;
            else if (s[p] == '#') while (p < s.Length && s[p] != '\n') p++;
            else break;
        }
    }

    private static string ParseString(string s, ref int p, string where)
    {
        var quote = s[p++];
        var sb = new StringBuilder();
        while (p < s.Length && s[p] != quote)
        {
            if (s[p] == '\n') throw new InvalidDataException($"{where}: string literal runs past the end of the line");
            if (s[p] == '\\' && p + 1 < s.Length)
            {
                var e = s[p + 1];
                sb.Append(e switch { 'n' => '\n', 't' => '\t', _ => e });
                p += 2;
            }
            else sb.Append(s[p++]);
        }
        if (p >= s.Length) throw new InvalidDataException($"{where}: string literal is not closed");
        p++;
        return sb.ToString();
    }
}
