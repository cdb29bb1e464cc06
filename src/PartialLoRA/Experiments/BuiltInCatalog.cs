using PartialLoRA.Data.Registry;
using PartialLoRA.Experiments.Datasets;
using PartialLoRA.Experiments.Methods;
using PartialLoRA.Experiments.ModelProviders;
using PartialLoRA.Experiments.Synthetic;
using PartialLoRA.Models;

namespace PartialLoRA.Experiments;

/// <summary>
/// The catalog the CLI uses: every model of the model registry, every dataset of the data registry, every method,
/// and the synthetic self-test pair.
/// </summary>
public static class BuiltInCatalog
{
    /// <param name="dataRoot">Where datasets are read (the --data flag); null: PARTIALLORA_DATA, else ./data.</param>
    public static ExperimentCatalog Create(string? dataRoot = null)
    {
        var c = new ExperimentCatalog();
        foreach (var m in PlannedLoraMethod.Names) c.Add(new PlannedLoraMethod(m));
        foreach (var p in ModelRegistry.Presets) c.Add(new PresetModel(p, dataRoot));
        c.Add(LabBackboneModel.Vision()).Add(LabBackboneModel.Text());
        foreach (var d in DatasetRegistry.All) c.Add(new RegistryDataset(d, dataRoot));
        return c
        .Add(new TinyMlpProvider())
        .Add(new GaussianBlobs())
        .Add(new FullFineTune())
        .Add(new LinearProbe())
        .Add(new LoraMethod())
        .Add(new DoraMethod())
        .Add(new LoraPlusMethod())
        .Add(new VeraMethod())
        .Add(new AdaLoraMethod())
        .Add(new PartialAdaLoraMethod())
        .Add(new RandomMaskingMethod())
        .Add(new ElementMaskedLoraMethod("balanced"))
        .Add(new ElementMaskedLoraMethod("pyramidal"))
        .Add(new LorpaMethod());
    }
}
