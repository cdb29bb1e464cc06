namespace PartialLoRA.Notebooks;

/// <summary>nbformat 4 cell types.</summary>
public enum CellType { Markdown, Code, Raw }
