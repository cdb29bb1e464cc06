using System.Text.Json;
using System.Text.Json.Nodes;
using PartialLoRA.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Backbones;

/// <summary>
/// The restart state of a pretraining run, one safetensors file written atomically
/// (<c>state.safetensors</c> in the run's work folder): every model tensor (<c>model.*</c>), AdamW's moments per
/// parameter in optimizer order (<c>optim.{i}.exp_avg</c>, <c>optim.{i}.exp_avg_sq</c>) and, as metadata, the step
/// counts of AdamW's bias correction and the run's progress JSON (options, step, history, elapsed time).
/// A kill at any moment leaves the previous state intact; a run restarted from it continues at the saved step with
/// the same data order, augmentation, masks and dropout (all keyed by seed and step).
/// At each epoch end the state is also kept as <c>epoch-KK.safetensors</c> (the last few epochs), so a model of an
/// epoch the run has already passed can still be published (<c>--stop-after-epoch</c>).
/// </summary>
public static class PretrainState
{
    public const string FileName = "state.safetensors";
    public const string ProgressFileName = "progress.json";
    private const string ProgressKey = "progress";
    private const string AdamStepsKey = "adam_steps";

    public static string PathIn(string workDir) => Path.Combine(workDir, FileName);

    /// <summary>The state as it was at the end of epoch <paramref name="epoch"/> (1-based).</summary>
    public static string EpochSnapshotPath(string workDir, int epoch) =>
        Path.Combine(workDir, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"epoch-{epoch:D2}.safetensors"));

    /// <summary>The epochs whose snapshots the folder holds, ascending.</summary>
    public static IReadOnlyList<int> EpochSnapshots(string workDir) =>
        !Directory.Exists(workDir) ? [] :
        Directory.EnumerateFiles(workDir, "epoch-*.safetensors")
            .Select(f => Path.GetFileNameWithoutExtension(f)["epoch-".Length..])
            .Select(k => int.TryParse(k, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var e) ? e : -1)
            .Where(e => e > 0).Order().ToList();

    /// <summary>
    /// Copies the current state (just written at the end of <paramref name="epoch"/>) to its epoch snapshot,
    /// atomically, and deletes the snapshots of epochs before the last <paramref name="keep"/>.
    /// </summary>
    public static void SnapshotEpoch(string workDir, int epoch, int keep)
    {
        AtomicFile.Write(EpochSnapshotPath(workDir, epoch), s =>
        {
            using var src = File.OpenRead(PathIn(workDir));
            src.CopyTo(s);
        });
        foreach (var old in EpochSnapshots(workDir).Where(e => e <= epoch - keep))
            File.Delete(EpochSnapshotPath(workDir, old));
    }

    /// <summary>Deletes the folder's state, progress and epoch snapshots (a fresh start).</summary>
    public static void Delete(string workDir)
    {
        foreach (var e in EpochSnapshots(workDir)) File.Delete(EpochSnapshotPath(workDir, e));
        File.Delete(PathIn(workDir));
        File.Delete(Path.Combine(workDir, ProgressFileName));
    }

    public static void Save(string workDir, nn.Module model, AdamW optimizer, JsonObject progress)
    {
        var tensors = new List<(string, Tensor)>();
        foreach (var (name, t) in model.state_dict()) tensors.Add(($"model.{name}", t));
        var states = AdamStates(optimizer);
        for (int i = 0; i < states.Count; i++)
        {
            tensors.Add(($"optim.{i}.exp_avg", states[i].exp_avg));
            tensors.Add(($"optim.{i}.exp_avg_sq", states[i].exp_avg_sq));
        }
        var text = progress.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var meta = new Dictionary<string, string>
        {
            [ProgressKey] = progress.ToJsonString(),
            [AdamStepsKey] = string.Join(",", states.Select(s => s.step)),
        };
        SafetensorsWriter.Save(PathIn(workDir), tensors, meta);
        // a human-readable copy, written after the state so it never runs ahead of it
        AtomicFile.WriteAllText(Path.Combine(workDir, ProgressFileName), text);
    }

    /// <summary>The saved progress, or null when the folder holds no state.</summary>
    public static JsonObject? ReadProgress(string workDir)
    {
        var path = PathIn(workDir);
        if (!File.Exists(path)) return null;
        using var ck = TensorCheckpoint.Open(path);
        return Progress(ck, path);
    }

    /// <summary>Loads model and optimizer from a state file (the folder's state or an epoch snapshot); returns its progress.</summary>
    public static JsonObject Load(string path, nn.Module model, AdamW optimizer)
    {
        using var ck = TensorCheckpoint.Open(path);
        var progress = Progress(ck, path);
        var states = AdamStates(optimizer);
        var steps = ck.Metadata.TryGetValue(AdamStepsKey, out var s) ? s.Split(',', StringSplitOptions.RemoveEmptyEntries) : [];
        if (steps.Length != states.Count)
            throw new InvalidDataException($"{path}: holds optimizer state for {steps.Length} parameters; this model has {states.Count}");
        using var noGrad = torch.no_grad();
        foreach (var (name, t) in model.state_dict())
        {
            var key = $"model.{name}";
            if (!ck.Contains(key)) throw new InvalidDataException($"{path}: tensor '{key}' is missing");
            Copy(ck, key, t, path);
        }
        for (int i = 0; i < states.Count; i++)
        {
            Copy(ck, $"optim.{i}.exp_avg", states[i].exp_avg, path);
            Copy(ck, $"optim.{i}.exp_avg_sq", states[i].exp_avg_sq, path);
            states[i].step = long.Parse(steps[i], System.Globalization.CultureInfo.InvariantCulture);
        }
        return progress;
    }

    private static void Copy(TensorCheckpoint ck, string key, Tensor target, string path)
    {
        if (!ck.Contains(key)) throw new InvalidDataException($"{path}: tensor '{key}' is missing");
        var shape = ck.Entry(key).Shape;
        if (!shape.SequenceEqual(target.shape))
            throw new InvalidDataException($"{path}: tensor '{key}' is [{string.Join(",", shape)}], the run needs [{string.Join(",", target.shape)}]");
        using var src = ck.Load(key, target.device, target.dtype);
        target.copy_(src);
    }

    private static JsonObject Progress(TensorCheckpoint ck, string path) =>
        ck.Metadata.TryGetValue(ProgressKey, out var p) && JsonNode.Parse(p) is JsonObject o
            ? o : throw new InvalidDataException($"{path}: no '{ProgressKey}' metadata; not a pretraining state file");

    private static List<AdamW.State> AdamStates(AdamW optimizer) =>
        optimizer.state_dict().State.Select((s, i) => s as AdamW.State
            ?? throw new InvalidOperationException($"optimizer state {i} is {s.GetType().Name}, expected AdamW's")).ToList();
}
