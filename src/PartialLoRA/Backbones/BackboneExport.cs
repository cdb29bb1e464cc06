using PartialLoRA.Checkpoints;
using PartialLoRA.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Backbones;

/// <summary>Writes a model as a committed backbone: an HF folder whose floating-point tensors are stored as fp16.</summary>
public static class BackboneExport
{
    /// <summary>
    /// Replaces <paramref name="folder"/>'s contents with config.json and model.safetensors (state_dict names,
    /// float tensors in fp16), each written atomically. Values beyond fp16's range are an error (they would become ∞).
    /// </summary>
    public static void SaveFp16(IHfModel model, string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var stale in Directory.EnumerateFiles(folder)) File.Delete(stale);
        using var scope = torch.NewDisposeScope();
        var tensors = new List<(string, Tensor)>();
        foreach (var (name, t) in model.Module.state_dict())
        {
            if (!t.is_floating_point())
            {
                tensors.Add((name, t));
                continue;
            }
            var max = t.abs().max().item<float>();
            if (max > 65504f) throw new InvalidOperationException($"{name}: |value| up to {max} does not fit fp16 (max 65504)");
            tensors.Add((name, t.detach().to(ScalarType.Float16)));
        }
        AtomicFile.WriteAllText(Path.Combine(folder, HfModelFolder.ConfigFileName), HfConfigWriter.ToJson(model.ConfigJson()));
        SafetensorsWriter.Save(Path.Combine(folder, TensorCheckpoint.SingleFileName), tensors,
            new Dictionary<string, string> { ["format"] = "pt" });
    }
}
