namespace PartialLoRA.Data.Glue;

/// <summary>A GLUE example: a sentence or sentence pair, its label (−1 in unlabelled test files) and its row number in the source file.</summary>
public sealed record TextExample(int Index, string Text, string? Pair, int Label);
