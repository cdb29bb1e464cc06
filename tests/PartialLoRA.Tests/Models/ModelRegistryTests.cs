using PartialLoRA.Models;
using PartialLoRA.Models.Clip;
using PartialLoRA.Models.Deberta;
using PartialLoRA.Models.Llama;
using TorchSharp;
using static TorchSharp.torch;
using static PartialLoRA.Tests.Models.ModelTestUtil;

namespace PartialLoRA.Tests.Models;

public class ModelRegistryTests
{
    public ModelRegistryTests() => _ = TestSupport.Torch;

    [Theory]
    [InlineData("clip-vit-lab-tiny", ModelFamily.Clip)]
    [InlineData("deberta-v3-lab-tiny", ModelFamily.Deberta)]
    [InlineData("llama-lab-small", ModelFamily.Llama)]
    public void Lab_presets_build_seeded_classifiers_whose_default_targets_exist(string preset, ModelFamily family)
    {
        var p = ModelRegistry.Preset(preset);
        Assert.Equal(family, p.Family);
        var a = ModelRegistry.BuildClassifier(preset, 3, seed: 4);
        var b = ModelRegistry.BuildClassifier(preset, 3, seed: 4);
        Assert.Equal(3, a.NumClasses);
        var names = a.Module.named_modules().Select(x => x.name).ToList();
        foreach (var method in new[] { "lora", "adalora" })
            foreach (var target in ModelRegistry.TargetModules(family, method))
            {
                // every block holds the target (PEFT's "dense" also matches DeBERTa's pooler.dense, outside the blocks)
                var inBlocks = names.Where(n => n.EndsWith("." + target)).Select(a.BlockIndexOf).OfType<int>().Distinct().Count();
                Assert.True(inBlocks == a.BlockCount, $"{preset}: {method} target '{target}' is in {inBlocks} of {a.BlockCount} blocks");
            }
        foreach (var (name, t) in a.Module.state_dict())
            Assert.True(Same(t, b.Module.state_dict()[name]), $"{preset}: {name} differs for the same seed");
    }

    [Fact]
    public void Lab_text_presets_use_the_wordpiece_vocabulary_and_deberta_has_a_masked_lm()
    {
        var mlm = ModelRegistry.BuildMaskedLM("deberta-v3-lab-small", seed: 1);
        Assert.Equal(ModelRegistry.WordPieceVocabSize, mlm.Config.VocabSize);
        mlm.eval();
        using var _ = torch.no_grad();
        Assert.Equal([1, 5, 30522], mlm.Forward(RandomIds(1, 5, 30522, 1)).shape);
        Assert.Equal(ModelRegistry.WordPieceVocabSize, ((LlamaConfig)ModelRegistry.Preset("llama-lab-small").Config).VocabSize);
        Assert.Throws<ArgumentException>(() => ModelRegistry.BuildMaskedLM("llama-lab-small"));
        var e = Assert.Throws<ArgumentException>(() => ModelRegistry.Preset("bert-base"));
        Assert.Contains("deberta-v3-base", e.Message);
    }

    [Fact]
    public void Paper_presets_carry_the_published_configs()
    {
        var clip = (ClipConfig)ModelRegistry.Preset("clip-vit-b16").Config;
        Assert.Equal((16, 224, 768, 12, 512), (clip.Vision.PatchSize, clip.Vision.ImageSize, clip.Vision.HiddenSize, clip.Vision.NumHiddenLayers, clip.ProjectionDim));
        var deb = (DebertaV2Config)ModelRegistry.Preset("deberta-v3-base").Config;
        Assert.Equal((128100, 768, 256, true, false), (deb.VocabSize, deb.HiddenSize, deb.PositionBuckets, deb.ShareAttKey, deb.PositionBiasedInput));
        var llama = (LlamaConfig)ModelRegistry.Preset("llama-2-7b").Config;
        Assert.Equal((32000, 4096, 11008, 32, 32, 1e-5), (llama.VocabSize, llama.HiddenSize, llama.IntermediateSize, llama.NumHiddenLayers, llama.NumKeyValueHeads, llama.RmsNormEps));
    }
}
