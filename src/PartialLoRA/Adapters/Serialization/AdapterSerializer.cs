using PartialLoRA.Adapters.Layers;
using PartialLoRA.Adapters.Masks;
using PartialLoRA.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Adapters.Serialization;

/// <summary>
/// Saves and loads adapters in HF PEFT's layout (PEFT's <c>get_peft_model_state_dict</c> / <c>set_peft_model_state_dict</c>):
/// a folder with <c>adapter_config.json</c> and <c>adapter_model.safetensors</c> whose keys are
/// <c>base_model.model.&lt;module path&gt;.lora_A.weight</c> and so on. Compact factors are expanded to PEFT's dense
/// shapes; masks are stored in the same file (see <see cref="AdapterKeys"/>). Loading checks every key and shape
/// and rejects files with tensors that belong to nothing.
/// </summary>
internal static class AdapterSerializer
{
    public static void Save(AdapterModel model, string directory, string? baseModelName, bool compactFile)
    {
        if (compactFile && !model.Layers.Any(l => l is CompactLoraLinear or AdaLoraLinear { Compact: true }))
            throw new ArgumentException("a compact file layout needs row/column masks in compact storage (MaskStorage.Compact)");
        using var scope = torch.NewDisposeScope();
        var tensors = new List<(string Name, Tensor Tensor)>();
        foreach (var layer in model.Layers)
            foreach (var (key, value) in layer.ExportTensors(compactFile))
                tensors.Add((AdapterKeys.Module(layer.ModulePath, key), value.contiguous()));
        if (model.Config is VeraConfig { SaveProjection: true })
        {
            tensors.Add((AdapterKeys.VeraA, model.VeraProjections!.A));
            tensors.Add((AdapterKeys.VeraB, model.VeraProjections!.B));
        }
        foreach (var path in model.ModulesToSave)
            foreach (var (name, p) in ModuleReplacer.FindModule(model.Model, path)!.named_parameters())
                tensors.Add((AdapterKeys.ModelPrefix + path + "." + name, p.detach()));
        Directory.CreateDirectory(directory);
        SafetensorsWriter.Save(Path.Combine(directory, AdapterKeys.WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        AtomicFile.WriteAllText(Path.Combine(directory, AdapterKeys.ConfigFile), AdapterConfigJson.Write(model, baseModelName, compactFile));
    }

    public static AdapterModel Load(nn.Module model, string directory)
    {
        var configPath = Path.Combine(directory, AdapterKeys.ConfigFile);
        var weightsPath = Path.Combine(directory, AdapterKeys.WeightsFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{directory}: no {AdapterKeys.ConfigFile}", configPath);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"{directory}: no {AdapterKeys.WeightsFile}", weightsPath);
        var parsed = AdapterConfigJson.Read(configPath);
        using var file = SafetensorsFile.Open(weightsPath);
        var reader = new AdapterTensorReader(file, parsed.Masks?.CompactFile == true);

        AdapterConfig config;
        List<(string Path, TorchSharp.Modules.Linear Layer)> targets;
        try
        {
            parsed.Config.Validate();
            targets = AdapterInjector.FindTargets(model, parsed.Config);
            config = WithStoredMasks(parsed, targets, reader);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{configPath}: {e.Message}", e);
        }
        var loaded = new LoadedState(ReadVera(config, targets, reader), ReadPositions(config, targets, reader));

        AdapterModel adapter;
        try
        {
            adapter = AdapterInjector.Inject(model, config, loaded);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{directory}: {e.Message}", e);
        }
        try
        {
            foreach (var layer in adapter.Layers) layer.ImportTensors(reader.ForModule(layer.ModulePath));
            foreach (var path in adapter.ModulesToSave)
            {
                var module = ModuleReplacer.FindModule(model, path)!;
                foreach (var (name, p) in module.named_parameters())
                {
                    using var t = reader.Read(AdapterKeys.ModelPrefix + path + "." + name, p.shape);
                    using var _ = torch.no_grad();
                    p.copy_(t);
                }
            }
            var unexpected = reader.Unconsumed().ToList();
            if (unexpected.Count > 0)
                throw new InvalidDataException($"{weightsPath}: {unexpected.Count} tensor(s) belong to no adapter of this model: {string.Join(", ", unexpected.Take(10))}{(unexpected.Count > 10 ? ", …" : "")}");
        }
        catch
        {
            adapter.Unload();
            throw;
        }
        return adapter;
    }

    private static AdapterConfig WithStoredMasks(ParsedAdapterConfig parsed, List<(string Path, TorchSharp.Modules.Linear Layer)> targets, AdapterTensorReader reader)
    {
        if (parsed.Masks is not { } d) return parsed.Config;
        switch (parsed.Config)
        {
            case LoraConfig l when d.Layout == "row_col":
                return l with { Masks = new StoredRowColMasks(ReadRowCol(targets, reader), d.Kind), Storage = d.Storage };
            case LoraConfig l:
                var element = new Dictionary<string, ElementMask>();
                foreach (var (path, lin) in targets)
                {
                    var (m, n) = ((int)lin.out_features, (int)lin.in_features);
                    var r = reader.ForModule(path);
                    element[path] = new ElementMask(m, n, l.R, r.ReadMask(AdapterKeys.MaskA, l.R, n), r.ReadMask(AdapterKeys.MaskB, m, l.R));
                }
                return l with { Masks = new StoredElementMasks(element, d.Kind), Storage = MaskStorage.Dense };
            case AdaLoraConfig a when d.Layout == "row_col":
                return a with { Masks = new StoredRowColMasks(ReadRowCol(targets, reader), d.Kind), Storage = d.Storage };
            default:
                throw new InvalidDataException($"{reader.Path}: {d.Layout} masks are not supported for {parsed.Config.PeftType}");
        }
    }

    private static Dictionary<string, RowColMask> ReadRowCol(List<(string Path, TorchSharp.Modules.Linear Layer)> targets, AdapterTensorReader reader)
    {
        var masks = new Dictionary<string, RowColMask>();
        foreach (var (path, lin) in targets)
        {
            var r = reader.ForModule(path);
            masks[path] = new RowColMask(r.ReadMask(AdapterKeys.RowMask, lin.out_features), r.ReadMask(AdapterKeys.ColMask, lin.in_features));
        }
        return masks;
    }

    private static VeraProjections? ReadVera(AdapterConfig config, List<(string Path, TorchSharp.Modules.Linear Layer)> targets, AdapterTensorReader reader)
    {
        if (config is not VeraConfig v || !reader.Has(AdapterKeys.VeraA)) return null;
        var maxIn = targets.Max(t => t.Layer.in_features);
        var maxOut = targets.Max(t => t.Layer.out_features);
        using var a = reader.Read(AdapterKeys.VeraA, v.R, maxIn);
        using var b = reader.Read(AdapterKeys.VeraB, maxOut, v.R);
        return new VeraProjections(a.to(ScalarType.Float32), b.to(ScalarType.Float32));
    }

    private static Dictionary<string, long[]>? ReadPositions(AdapterConfig config, List<(string Path, TorchSharp.Modules.Linear Layer)> targets, AdapterTensorReader reader)
    {
        if (config is not MaskingConfig m) return null;
        var positions = new Dictionary<string, long[]>();
        foreach (var (path, lin) in targets)
        {
            var k = (long)Math.Ceiling(m.Density * lin.out_features * lin.in_features);
            positions[path] = reader.ForModule(path).ReadLongs(AdapterKeys.MaskingPositions, k);
        }
        return positions;
    }
}
