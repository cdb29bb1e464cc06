using PartialLoRA.Checkpoints;

namespace PartialLoRA.Models;

/// <summary>
/// A model folder in Hugging Face layout: <c>config.json</c> plus <c>model.safetensors</c> or
/// <c>model.safetensors.index.json</c> with its shards. Missing files are errors that say which file, where it was
/// expected, and how to supply it; PyTorch pickles (<c>pytorch_model.bin</c>) are refused with a conversion hint.
/// Writing produces the same layout (each file written atomically).
/// </summary>
public static class HfModelFolder
{
    public const string ConfigFileName = "config.json";

    public static string HowToSupply(string folder) =>
        $"A model folder needs {ConfigFileName} and {TensorCheckpoint.SingleFileName} (or {TensorCheckpoint.IndexFileName} with its shards). " +
        $"With internet access run `partial-lora hub download <repo-id> --to {folder}` (e.g. openai/clip-vit-base-patch16, microsoft/deberta-v3-base, meta-llama/Llama-2-7b-hf); " +
        $"otherwise copy those files from the model's Hugging Face page (Files tab) into {folder}.";

    public static HfConfigJson ReadConfig(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: model folder not found. {HowToSupply(folder)}");
        var path = Path.Combine(folder, ConfigFileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: missing {ConfigFileName}. {HowToSupply(folder)}", path);
        return HfConfigJson.Load(path);
    }

    /// <summary>The config's <c>model_type</c>; an error when it is absent.</summary>
    public static string ModelType(HfConfigJson config) =>
        config.StringOrNull("model_type") ?? throw new InvalidDataException($"{config.Source}: field 'model_type' is missing");

    public static TensorCheckpoint OpenWeights(string folder)
    {
        var single = Path.Combine(folder, TensorCheckpoint.SingleFileName);
        var index = Path.Combine(folder, TensorCheckpoint.IndexFileName);
        if (File.Exists(single) || File.Exists(index)) return TensorCheckpoint.Open(folder);
        var pickle = Path.Combine(folder, "pytorch_model.bin");
        if (File.Exists(pickle))
            throw new InvalidDataException(
                $"{pickle}: PyTorch pickle checkpoints are not read (they can execute code); download the model's {TensorCheckpoint.SingleFileName} " +
                "instead, or convert once where PyTorch is installed: python -c \"import torch, safetensors.torch as st; " +
                "st.save_file({k: v.contiguous() for k, v in torch.load('pytorch_model.bin').items()}, 'model.safetensors')\"");
        throw new FileNotFoundException($"{folder}: missing {TensorCheckpoint.SingleFileName} (or {TensorCheckpoint.IndexFileName}). {HowToSupply(folder)}", single);
    }

    /// <summary>Loads the folder's weights into <paramref name="model"/> (strict by default, see <see cref="HfCheckpointLoader"/>).</summary>
    public static HfLoadReport LoadWeights(IHfModel model, string folder, bool strict = true)
    {
        using var ck = OpenWeights(folder);
        return HfCheckpointLoader.Load(model, ck, strict);
    }

    /// <summary>Writes config.json and model.safetensors (state_dict names, tensors as they are) into <paramref name="folder"/>.</summary>
    public static void Save(IHfModel model, string folder)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, ConfigFileName), HfConfigWriter.ToJson(model.ConfigJson()));
        SafetensorsWriter.Save(Path.Combine(folder, TensorCheckpoint.SingleFileName), model.Module.state_dict(),
            new Dictionary<string, string> { ["format"] = "pt" });
    }
}
