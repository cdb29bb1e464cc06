using PartialLoRA.Experiments.Methods;
using PartialLoRA.Experiments.Synthetic;

namespace PartialLoRA.Experiments;

/// <summary>The catalog the CLI uses: every model, dataset and method the library provides.</summary>
public static class BuiltInCatalog
{
    public static ExperimentCatalog Create() => new ExperimentCatalog()
        .Add(new TinyMlpProvider())
        .Add(new GaussianBlobs())
        .Add(new FullFineTune())
        .Add(new LinearProbe())
        .Add(new LoraMethod())
        .Add(new DoraMethod())
        .Add(new LoraPlusMethod())
        .Add(new VeraMethod())
        .Add(new AdaLoraMethod())
        .Add(new RandomMaskingMethod())
        .Add(new ElementMaskedLoraMethod("balanced"))
        .Add(new ElementMaskedLoraMethod("pyramidal"))
        .Add(new LorpaMethod());
}
