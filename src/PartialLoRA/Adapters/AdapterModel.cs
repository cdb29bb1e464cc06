using PartialLoRA.Adapters.AdaLora;
using PartialLoRA.Adapters.Layers;
using PartialLoRA.Adapters.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Adapters;

/// <summary>
/// A model with adapters injected (PEFT's <c>PeftModel</c> + tuner model). The model object itself is modified in
/// place: each targeted Linear is replaced by an <see cref="AdapterLayer"/> wrapping it, and every parameter except
/// the adapters' and the modules to save is frozen (requires_grad = false).
/// <para>For a trainer:</para>
/// <list type="bullet">
/// <item><see cref="Inject"/> / <see cref="Load"/> — put a method on any model by config / from a saved adapter.</item>
/// <item><see cref="TrainableParameters"/> — what the optimizer gets (or <see cref="LoraPlus"/>'s groups for LoRA+).
/// Read them after <c>model.to(device)</c>: TorchSharp replaces Parameter objects when moving.</item>
/// <item><see cref="TrainableParameterCount"/> — exact count of trained entries (masked entries excluded).</item>
/// <item><see cref="RegularizationLoss"/> — add to the task loss before backward (AdaLoRA's orthogonality term).</item>
/// <item><see cref="RankAllocator"/> — AdaLoRA only: call <c>UpdateAndAllocate(step)</c> after
/// <c>optimizer.step()</c> and before <c>zero_grad()</c> (it reads the gradients).</item>
/// </list>
/// </summary>
public sealed class AdapterModel
{
    private readonly List<AdapterLayer> layers;
    private bool unloaded;

    internal AdapterModel(nn.Module model, AdapterConfig config, List<AdapterLayer> layers, List<string> modulesToSave, VeraProjections? vera)
    {
        Model = model;
        Config = config;
        this.layers = layers;
        ModulesToSave = modulesToSave;
        VeraProjections = vera;
        if (config is AdaLoraConfig ada) RankAllocator = new RankAllocator(this, ada);
    }

    /// <summary>Injects the adapter described by <paramref name="config"/> into <paramref name="model"/>.</summary>
    public static AdapterModel Inject(nn.Module model, AdapterConfig config) => AdapterInjector.Inject(model, config);

    /// <summary>Injects and loads a saved adapter (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c>, ours or PEFT's).</summary>
    public static AdapterModel Load(nn.Module model, string directory) => AdapterSerializer.Load(model, directory);

    public nn.Module Model { get; }

    public AdapterConfig Config { get; internal set; }

    /// <summary>The adapter layers in named_modules order.</summary>
    public IReadOnlyList<AdapterLayer> Layers => layers;

    public AdapterLayer this[string modulePath] =>
        layers.FirstOrDefault(l => l.ModulePath == modulePath) ?? throw new KeyNotFoundException($"no adapter at module '{modulePath}'");

    /// <summary>Paths of the modules trained and saved in full.</summary>
    public IReadOnlyList<string> ModulesToSave { get; }

    /// <summary>VeRA's shared projections (VeRA only).</summary>
    public VeraProjections? VeraProjections { get; }

    /// <summary>AdaLoRA's rank allocator (AdaLoRA only).</summary>
    public RankAllocator? RankAllocator { get; }

    /// <summary>
    /// Writes <c>adapter_config.json</c> and <c>adapter_model.safetensors</c> in HF PEFT's format (compact factors
    /// expanded to PEFT's dense shapes). With <paramref name="compactFile"/>, compact factors are written as stored,
    /// so the file shrinks with the sparsity; such a file loads here but not in PEFT.
    /// </summary>
    public void Save(string directory, string? baseModelName = null, bool compactFile = false)
    {
        CheckLoaded();
        AdapterSerializer.Save(this, directory, baseModelName, compactFile);
    }

    /// <summary>Trainable parameters with their state_dict names, in model order.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedTrainableParameters() =>
        Model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToList();

    public IReadOnlyList<Parameter> TrainableParameters() => NamedTrainableParameters().Select(p => p.Parameter).ToList();

    /// <summary>Entries that are trained: the adapters' unmasked entries plus the modules to save.</summary>
    public long TrainableParameterCount => layers.Sum(l => l.TrainableParameterCount) + ModulesToSaveParameterCount;

    /// <summary>Elements of the trainable tensors as stored (what optimizer state is sized by); equals
    /// <see cref="TrainableParameterCount"/> for unmasked and compact adapters, exceeds it for dense-masked ones.</summary>
    public long StoredTrainableParameterCount => NamedTrainableParameters().Sum(p => p.Parameter.numel());

    private long ModulesToSaveParameterCount =>
        ModulesToSave.Sum(path => ModuleReplacer.FindModule(Model, path)!.parameters().Sum(p => p.numel()));

    public bool AdaptersEnabled => layers.All(l => l.Enabled);

    public void EnableAdapters()
    {
        foreach (var l in layers) l.SetEnabled(true);
    }

    /// <summary>Outputs become the base model's (merged adapters are unmerged first).</summary>
    public void DisableAdapters()
    {
        foreach (var l in layers) l.SetEnabled(false);
    }

    /// <summary>Adds every ΔW into its base weight; the forward pass is then the plain base layers.</summary>
    public void Merge()
    {
        CheckLoaded();
        foreach (var l in layers.Where(l => !l.Merged)) l.Merge();
    }

    public void Unmerge()
    {
        CheckLoaded();
        foreach (var l in layers.Where(l => l.Merged)) l.Unmerge();
    }

    /// <summary>Merges and puts the base Linear layers back in place (PEFT's <c>merge_and_unload</c>); this object is then spent.</summary>
    public nn.Module MergeAndUnload()
    {
        Merge();
        return Unload();
    }

    /// <summary>Removes the adapters without merging; the model is the base model again.</summary>
    public nn.Module Unload()
    {
        CheckLoaded();
        foreach (var l in layers) ModuleReplacer.Replace(Model, l.ModulePath, l, l.BaseLayer);
        unloaded = true;
        return Model;
    }

    /// <summary>AdaLoRA's weighted orthogonality loss; null for the other methods.</summary>
    public Tensor? RegularizationLoss() => RankAllocator?.OrthogonalityLoss();

    private void CheckLoaded()
    {
        if (unloaded) throw new InvalidOperationException("the adapters were unloaded from this model");
    }
}
