namespace PartialLoRA.Data.Glue;

/// <summary>One split of a GLUE task as examples, before tokenization.</summary>
public sealed record GlueSplit(GlueTaskInfo Info, string Split, IReadOnlyList<TextExample> Examples, IReadOnlyList<string> Sources)
{
    public int Count => Examples.Count;
    public bool IsLabelled => Examples.All(e => e.Label >= 0);
    public int[] Labels => Examples.Select(e => e.Label).ToArray();

    /// <summary>The examples at <paramref name="indices"/>, as a split named <paramref name="split"/>.</summary>
    public GlueSplit Subset(IReadOnlyList<int> indices, string split) => this with { Split = split, Examples = indices.Select(i => Examples[i]).ToList() };
}
