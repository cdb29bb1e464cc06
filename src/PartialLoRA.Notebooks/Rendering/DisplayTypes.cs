namespace PartialLoRA.Notebooks.Rendering;

/// <summary>Markdown shown as <c>text/markdown</c> (with the source as <c>text/plain</c>).</summary>
public sealed record MarkdownText(string Markdown)
{
    public override string ToString() => Markdown;
}

/// <summary>HTML shown as <c>text/html</c>.</summary>
public sealed record HtmlText(string Html)
{
    public override string ToString() => Html;
}

/// <summary>A value shown under exactly one MIME type (Polyglot's <c>"…".DisplayAs("text/markdown")</c>).</summary>
public sealed record MimeText(string MimeType, string Content)
{
    public override string ToString() => Content;
}
