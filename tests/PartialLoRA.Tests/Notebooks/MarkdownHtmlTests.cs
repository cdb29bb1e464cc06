using PartialLoRA.Notebooks.Report;

namespace PartialLoRA.Tests.Notebooks;

public class MarkdownHtmlTests
{
    [Theory]
    [InlineData("# Title", "<h1>Title</h1>")]
    [InlineData("### Sub ###", "<h3>Sub</h3>")]
    [InlineData("a **bold** and *it* and _it2_ and `x*y*z`", "<p>a <strong>bold</strong> and <em>it</em> and <em>it2</em> and <code>x*y*z</code></p>")]
    [InlineData("snake_case_name stays", "<p>snake_case_name stays</p>")]
    [InlineData("see [the paper](https://x.org/p?a=1&b=2)", "<p>see <a href=\"https://x.org/p?a=1&amp;b=2\">the paper</a></p>")]
    [InlineData("<script>alert(1)</script> in text", "<script>alert(1)</script> in text")] // a raw HTML block is passed through, as Jupyter does
    [InlineData("x < y & z", "<p>x &lt; y &amp; z</p>")]
    [InlineData("cost $5 and $6", "<p>cost $5 and $6</p>")]
    [InlineData("an overlap **above 50% in the\nfirst 6 layers** between", "<p>an overlap <strong>above 50% in the\nfirst 6 layers</strong> between</p>")] // emphasis across a line break
    [InlineData("line one  \nline *two\nthree*", "<p>line one<br/>\nline <em>two\nthree</em></p>")]
    [InlineData("a * b\n\nc * d", "<p>a * b</p>\n<p>c * d</p>")] // not across paragraphs
    public void Inline_and_simple_blocks(string md, string html) => Assert.Equal(html, MarkdownHtml.ToHtml(md).TrimEnd('\n'));

    [Fact]
    public void Math_is_kept_verbatim_and_never_read_as_emphasis()
    {
        var html = MarkdownHtml.ToHtml("Eq. $\\Delta w_{ij} = \\sum_k b_{i,k} a_{k,j}$ and *real* emphasis.\n\n$$\nI = ||\\mathbf{W} V||_2 < 1\n$$");
        Assert.Contains("<span class=\"math\">\\Delta w_{ij} = \\sum_k b_{i,k} a_{k,j}</span>", html);
        Assert.Contains("<em>real</em>", html);
        Assert.Contains("<div class=\"math display\">I = ||\\mathbf{W} V||_2 &lt; 1</div>", html);
    }

    [Fact]
    public void Lists_nest_and_tables_align()
    {
        var html = MarkdownHtml.ToHtml("- a\n- b\n  1. b1\n  2. b2\n- c\n\n| k | acc |\n|:--|--:|\n| 1 | 93.5 |\n| `a|b` | $x|y$ |");
        Assert.Contains("<ul>\n<li>a</li>\n<li>b\n<ol>\n<li>b1</li>\n<li>b2</li>\n</ol>\n</li>\n<li>c</li>\n</ul>", html);
        Assert.Contains("<th style=\"text-align:left\">k</th><th style=\"text-align:right\">acc</th>", html);
        Assert.Contains("<td style=\"text-align:right\">93.5</td>", html);
        Assert.Contains("<code>a|b</code>", html);
        Assert.Contains("<span class=\"math\">x|y</span>", html);
    }

    [Fact]
    public void Fenced_code_and_quotes()
    {
        var html = MarkdownHtml.ToHtml("> quoted **x**\n\n```csharp\nvar a = b < c;\n```\n\n---");
        Assert.Contains("<blockquote>\n<p>quoted <strong>x</strong></p>\n</blockquote>", html);
        Assert.Contains("<pre><code class=\"language-csharp\">var a = b &lt; c;</code></pre>", html);
        Assert.EndsWith("<hr/>\n", html);
    }
}
