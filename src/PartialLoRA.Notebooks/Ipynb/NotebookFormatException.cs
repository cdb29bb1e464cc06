namespace PartialLoRA.Notebooks;

/// <summary>A notebook file that is not valid nbformat 4 (or not a C# notebook where one is required); the message names the file and the field.</summary>
public sealed class NotebookFormatException(string message) : Exception(message);
