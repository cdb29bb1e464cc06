using PartialLoRA.Checkpoints;

namespace PartialLoRA.Models;

/// <summary>What an HF checkpoint load did, by tensor name.</summary>
/// <param name="Loaded">Module tensors filled from the checkpoint.</param>
/// <param name="Missing">Module tensors the checkpoint lacks (a strict load fails on these).</param>
/// <param name="Fresh">Task-head tensors the checkpoint lacks; they keep their seeded initialisation.</param>
/// <param name="Unexpected">Checkpoint tensors the model has no place for (a strict load fails on these).</param>
/// <param name="Skipped">Checkpoint tensors of heads/towers the model does not have.</param>
public sealed record HfLoadReport(
    IReadOnlyList<string> Loaded,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Fresh,
    IReadOnlyList<string> Unexpected,
    IReadOnlyList<string> Skipped)
{
    public string Summary() =>
        $"loaded {Loaded.Count} tensors" +
        (Fresh.Count > 0 ? $"; newly initialised (task head): {string.Join(", ", Fresh)}" : "") +
        (Skipped.Count > 0 ? $"; skipped {Skipped.Count} tensors of other heads/towers" : "") +
        (Missing.Count > 0 ? $"; MISSING {Missing.Count}: {string.Join(", ", Missing)}" : "") +
        (Unexpected.Count > 0 ? $"; UNEXPECTED {Unexpected.Count}: {string.Join(", ", Unexpected)}" : "");
}

/// <summary>
/// Loads an HF checkpoint into an <see cref="IHfModel"/> under its <see cref="HfLoadPolicy"/>: strict by default
/// (every missing and every unexpected tensor listed in one error), lenient on request (loads what matches and
/// reports the rest). A shape mismatch is always an error naming the tensor and both shapes. Nothing is copied
/// before all checks pass, so a failed load leaves the model untouched.
/// </summary>
public static class HfCheckpointLoader
{
    public static HfLoadReport Load(IHfModel model, TensorCheckpoint checkpoint, bool strict = true)
    {
        var policy = model.LoadPolicy;
        var moduleNames = model.Module.state_dict().Keys.ToList();
        var ckNames = checkpoint.Names.ToHashSet();

        // HF base_model_prefix: a bare-backbone checkpoint has no "deberta." / "model." in its names.
        var stripBase = policy.BasePrefix is { } bp
                        && !ckNames.Any(n => n.StartsWith(bp, StringComparison.Ordinal))
                        && moduleNames.Any(n => n.StartsWith(bp, StringComparison.Ordinal));
        string Map(string moduleName)
        {
            var name = stripBase && moduleName.StartsWith(policy.BasePrefix!, StringComparison.Ordinal)
                ? moduleName[policy.BasePrefix!.Length..]
                : moduleName;
            if (!ckNames.Contains(name) && policy.Aliases.TryGetValue(name, out var alias) && ckNames.Contains(alias)) return alias;
            return name;
        }

        var map = moduleNames.ToDictionary(n => n, Map);
        var used = map.Values.Where(ckNames.Contains).ToHashSet();
        var missing = map.Where(kv => !ckNames.Contains(kv.Value) && !policy.IsFresh(kv.Key)).Select(kv => kv.Value).OrderBy(n => n, StringComparer.Ordinal).ToList();
        var fresh = map.Where(kv => !ckNames.Contains(kv.Value) && policy.IsFresh(kv.Key)).Select(kv => kv.Key).OrderBy(n => n, StringComparer.Ordinal).ToList();
        var rest = ckNames.Where(n => !used.Contains(n) && !policy.IsIgnored(n)).OrderBy(n => n, StringComparer.Ordinal).ToList();
        var skipped = rest.Where(policy.IsOtherHead).ToList();
        var unexpected = rest.Where(n => !policy.IsOtherHead(n)).ToList();

        var state = model.Module.state_dict();
        var mismatched = map.Where(kv => ckNames.Contains(kv.Value))
            .Select(kv => (kv.Value, Have: state[kv.Key].shape, Got: checkpoint.Entry(kv.Value).Shape))
            .Where(x => !x.Have.SequenceEqual(x.Got))
            .Select(x => $"'{x.Value}': checkpoint [{string.Join(", ", x.Got)}] vs model [{string.Join(", ", x.Have)}]")
            .ToList();
        if (mismatched.Count > 0)
            throw new InvalidDataException(
                $"{checkpoint.Source}: shape mismatch with the model's config for {mismatched.Count} tensor(s): {string.Join("; ", mismatched)}");
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
            throw new InvalidDataException(
                $"{checkpoint.Source}: does not match the {model.ModelType} model built from its config" +
                (missing.Count > 0 ? $"; missing {missing.Count} tensor(s): {string.Join(", ", missing)}" : "") +
                (unexpected.Count > 0 ? $"; unexpected {unexpected.Count} tensor(s): {string.Join(", ", unexpected)}" : "") +
                " (load leniently to load what matches and skip the rest)");

        var report = StateDictLoader.Load(model.Module, checkpoint, strict: false, nameMap: n => map[n], ignore: n => !used.Contains(n));
        return new HfLoadReport(report.Loaded.OrderBy(n => n, StringComparer.Ordinal).ToList(), missing, fresh, unexpected, skipped);
    }
}
