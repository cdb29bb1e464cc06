using System.Text;
using System.Text.Json;
using PartialLoRA.Text;

namespace PartialLoRA.Data.Registry;

/// <summary>
/// OpenAI CLIP's published class names and prompt templates (Radford et al. 2021), from the data root's <c>clip/</c>
/// folder: <c>data/prompts.md</c>, parsed by <see cref="ClipPromptSet.ParseFile"/>, and
/// <c>notebooks/Prompt_Engineering_for_ImageNet.ipynb</c> for ImageNet (<c>imagenet_classes</c>,
/// <c>imagenet_templates</c> in its code cells), whose Python list literals are read by a small parser for strings
/// (single or double quotes, backslash escapes), commas and comments, never evaluated. The paper initialises its
/// linear head from these prompts.
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
        var all = File.Exists(md) ? ClipPromptSet.ParseFile(md).ToDictionary(s => s.Dataset, StringComparer.Ordinal) : [];
        if (File.Exists(nb)) all[ImageNet] = ParseImageNetNotebook(File.ReadAllText(nb), nb);
        return all;
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
        return new ClipPromptSet(ImageNet, classes.Select(c => (IReadOnlyList<string>)[c]).ToList(), templates);
    }

    /// <summary>The list literal assigned to <paramref name="variable"/> (<c>variable = [ ... ]</c>), or null.</summary>
    private static List<string>? FindList(string text, string variable, string where)
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

    private static List<string> ParseList(string s, ref int p, string where)
    {
        p++;   // '['
        var items = new List<string>();
        while (true)
        {
            Skip(s, ref p);
            if (p >= s.Length) throw new InvalidDataException($"{where}: list is not closed");
            var c = s[p];
            if (c == ']') { p++; return items; }
            if (c == ',') { p++; continue; }
            if (c is '\'' or '"') items.Add(ParseString(s, ref p, where));
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
