using System.CommandLine;
using System.Text.Json.Nodes;
using PartialLoRA.Experiments;

namespace PartialLoRA.Cli.Commands;

/// <summary>Options shared by the experiment verbs.</summary>
public static class ExperimentOptions
{
    public static Option<string?> Cache() => new("--cache")
    {
        Description = $"Folder for derived artefacts (sparsity plans). Default: ${CacheFolder.Variable}, else ~/.cache/partial-lora.",
    };

    /// <summary>A name (<c>lora</c>) or an inline JSON object (<c>{"name": "lora", "rank": 4}</c>) as a JSON node.</summary>
    public static JsonNode NameOrJson(string text, string flag)
    {
        var t = text.Trim();
        return t.StartsWith('{') ? JsonFields.Parse(t, flag) : JsonValue.Create(t)!;
    }
}
