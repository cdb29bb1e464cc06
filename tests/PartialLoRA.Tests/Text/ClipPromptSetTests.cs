using PartialLoRA.Text;

namespace PartialLoRA.Tests.Text;

public class ClipPromptSetTests
{
    public static string? PromptsMissing => TestData.Missing(TestData.ClipPrompts);

    [RequiresFact(typeof(ClipPromptSetTests), nameof(PromptsMissing))]
    public void Reads_OpenAI_class_names_and_templates_including_synonym_lists()
    {
        var sets = ClipPromptSet.ParseFile(TestData.ClipPrompts);
        Assert.Equal(26, sets.Count);   // prompts.md: 26 of the CLIP paper's 27 datasets
        var cifar = ClipPromptSet.Load(TestData.ClipPrompts, "cifar10");
        Assert.Equal(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"], cifar.Classes.Select(c => c.Single()));
        Assert.Equal(18, cifar.Templates.Count);
        Assert.Equal("a photo of a {}.", cifar.Templates[0]);
        var fer = ClipPromptSet.Load(TestData.ClipPrompts, "FacialEmotionRecognition2013");
        Assert.Equal(7, fer.Classes.Count);
        Assert.Equal(["surprised", "shocked", "spooked"], fer.Classes[5]);
        Assert.Equal(37, ClipPromptSet.Load(TestData.ClipPrompts, "OxfordPets").Classes.Count);
        Assert.Equal(102, ClipPromptSet.Load(TestData.ClipPrompts, "Flowers102").Classes.Count);
        Assert.Equal(43, ClipPromptSet.Load(TestData.ClipPrompts, "GTSRB").Classes.Count);
        Assert.Contains("a zoomed in photo of a \"{}\" traffic sign.", ClipPromptSet.Load(TestData.ClipPrompts, "GTSRB").Templates);
        Assert.Contains(sets.Single(s => s.Dataset == "Country211").Classes, c => c[0] == "Cote d'Ivoire");
        var e = Assert.Throws<ArgumentException>(() => ClipPromptSet.Load(TestData.ClipPrompts, "ImageNet"));
        Assert.Contains("CIFAR100", e.Message);
    }

    [Fact]
    public void Malformed_lists_are_errors_naming_the_section()
    {
        var p = Path.Combine(TestSupport.TempDir("prompts"), "prompts.md");
        File.WriteAllText(p, "# x\n\n## Broken\n\nclasses = [\n    'a',\n    b,\n]\n\ntemplates = [\n    '{}',\n]\n");
        var e = Assert.Throws<InvalidDataException>(() => ClipPromptSet.ParseFile(p));
        Assert.Contains("'Broken'", e.Message);
    }
}
