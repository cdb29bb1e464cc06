using PartialLoRA.Notebooks.Execution;

namespace PartialLoRA.Notebooks.Rendering;

/// <summary>Puts values into the running cell's output (the implementation behind <c>display</c> and <c>.Display()</c>).</summary>
public static class Show
{
    public static void Display(object? value, IReadOnlyCollection<string>? mimeTypes = null)
    {
        var cell = CellContext.Current
                   ?? throw new InvalidOperationException("display() works only inside a notebook cell run by the executor");
        var bundle = Formatters.Format(value, cell.Notebook);
        cell.Display(mimeTypes is { Count: > 0 } ? bundle.Only(mimeTypes) : bundle);
    }
}

/// <summary>Polyglot-style extension methods: <c>df.Display()</c>, <c>"# Title".DisplayAs("text/markdown")</c>.</summary>
public static class DisplayExtensions
{
    public static void Display(this object? value) => Show.Display(value);

    public static void DisplayAs(this string content, string mimeType) => Show.Display(new MimeText(mimeType, content));
}
