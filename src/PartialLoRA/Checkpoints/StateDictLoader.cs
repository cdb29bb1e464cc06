using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Checkpoints;

/// <summary>What a load found: tensors the module has but the checkpoint lacks, and the reverse.</summary>
public sealed record LoadReport(IReadOnlyList<string> Loaded, IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected);

/// <summary>
/// Copies a checkpoint's tensors into a module's parameters and buffers (state_dict names), converting dtype
/// and device to the module's. Strict by default: any missing tensor, unexpected tensor or shape mismatch is an
/// error that lists them all; lenient loading loads what matches and reports the rest (shape mismatches are
/// always errors).
/// </summary>
public static class StateDictLoader
{
    /// <param name="nameMap">Maps a module state_dict name to its checkpoint name (e.g. adds a prefix); identity by default.</param>
    /// <param name="ignore">Checkpoint names that are neither loaded nor reported as unexpected (e.g. position_ids buffers HF does not persist).</param>
    public static LoadReport Load(nn.Module module, TensorCheckpoint checkpoint, bool strict = true,
        Func<string, string>? nameMap = null, Func<string, bool>? ignore = null)
    {
        nameMap ??= n => n;
        ignore ??= _ => false;
        var state = module.state_dict();
        var wanted = state.Keys.ToDictionary(k => nameMap(k), k => k);
        var missing = wanted.Keys.Where(k => !checkpoint.Contains(k)).OrderBy(k => k).ToList();
        var unexpected = checkpoint.Names.Where(k => !wanted.ContainsKey(k) && !ignore(k)).OrderBy(k => k).ToList();
        var mismatched = new List<string>();
        foreach (var (ckName, modName) in wanted)
        {
            if (!checkpoint.Contains(ckName)) continue;
            var have = state[modName].shape;
            var got = checkpoint.Entry(ckName).Shape;
            if (!have.SequenceEqual(got))
                mismatched.Add($"'{ckName}': checkpoint [{string.Join(", ", got)}] vs model [{string.Join(", ", have)}]");
        }
        if (mismatched.Count > 0)
            throw new InvalidDataException($"{checkpoint.Source}: shape mismatch for {mismatched.Count} tensor(s): {string.Join("; ", mismatched)}");
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
            throw new InvalidDataException($"{checkpoint.Source}: does not match the model" +
                (missing.Count > 0 ? $"; missing {missing.Count}: {string.Join(", ", missing)}" : "") +
                (unexpected.Count > 0 ? $"; unexpected {unexpected.Count}: {string.Join(", ", unexpected)}" : "") +
                " (load leniently to skip them)");

        var loaded = new List<string>();
        using (torch.no_grad())
        {
            foreach (var (ckName, modName) in wanted)
            {
                if (!checkpoint.Contains(ckName)) continue;
                var target = state[modName];
                using var src = checkpoint.Load(ckName, target.device, target.dtype);
                target.copy_(src);
                loaded.Add(ckName);
            }
        }
        return new LoadReport(loaded, missing, unexpected);
    }
}
