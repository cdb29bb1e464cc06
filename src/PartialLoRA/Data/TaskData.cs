using PartialLoRA.Data.Cache;
using PartialLoRA.Data.FewShot;
using PartialLoRA.Data.Glue;
using PartialLoRA.Data.Images;
using PartialLoRA.Data.Registry;
using PartialLoRA.Text;

namespace PartialLoRA.Data;

/// <summary>
/// The paper's data protocol (§5 "Datasets and Models", App. B) in one call per run, with decoded sets cached
/// (<see cref="SetCache"/>):
/// <list type="bullet">
/// <item>Images, few-shot: m shots per class (16; Flowers102 6) for training and a disjoint m per class for
/// validation, both from the official training pool (<see cref="FewShotSampler.PerClass"/>); the official test split.</item>
/// <item>Images, whole dataset (App. B): the pool minus m per class held out for validation; Algorithm 1's D_t = m per
/// class of the training rows; the official test split.</item>
/// <item>GLUE: the whole training split for training, a stratified 2% (small, &lt; 10,000) / 5% (large) subset for
/// Algorithm 1 (<see cref="GlueSplits.FewShot"/>), GLUE's dev set for validation and test (as GLUE results are
/// reported). With <c>devSplit</c> (QNLI offline) train = 80% of dev and validation = test = the other 20%.</item>
/// </list>
/// <c>trainLimit</c> / <c>testLimit</c> keep a seeded random subset of the training / test rows (<see cref="RowLimit"/>),
/// drawn before decoding. The default cache is <see cref="SetCache.Shared"/>: decoded sets stay in memory for the process (the returned sets
/// are handles the caller disposes; <see cref="SetCache.Clear"/> frees the memory).
/// </summary>
public static class TaskData
{
    public static TaskSets Images(string dataset, ImagePreset preset, ulong seed, string? dataRoot = null, int? shots = null,
        bool whole = false, SetCache? cache = null, int parallelism = 0, int? trainLimit = null, int? testLimit = null)
    {
        var root = DataRoot.Resolve(dataRoot);
        var info = DatasetRegistry.Get(dataset);
        if (!info.IsImage) throw new ArgumentException($"{info.Name} is a text dataset; use TaskData.Glue");
        cache ??= SetCache.Shared;
        var m = shots ?? info.PaperShots ?? 16;
        var parts = info.PoolSplits.Select(s => DatasetRegistry.ReadImages(info.Name, s, root)).ToArray();
        var pool = parts.Length == 1 ? parts[0] : new ConcatImageSplit(string.Join("+", info.PoolSplits), parts);
        var test = DatasetRegistry.ReadImages(info.Name, info.TestSplit, root);
        var rows = whole
            ? FewShotSampler.Whole(pool.Labels, info.ClassCount, m, seed, info.Name)
            : FewShotSampler.PerClass(pool.Labels, info.ClassCount, m, seed, info.Name, classNames: pool.ClassNames);
        var trainName = whole ? $"{pool.Split}-minus-{m}-per-class(seed={seed})" : $"few-shot-train(m={m},seed={seed})";
        var valName = $"{(whole ? "held-out" : "few-shot")}-val(m={m},seed={seed})";
        ClassificationSet Load(ImageSplit split, int[]? r, string name) =>
            cache.GetOrBuild(SetCache.Key(info.Name, split.Split, split.SourceFingerprint, preset.Decode.Key, string.Join(",", split.ClassNames),
                    r == null ? "all" : Fingerprints.Hash(r.SelectMany(BitConverter.GetBytes).ToArray()), name),
                () => split.Load(preset.Decode, r, name, parallelism));
        ClassificationSet Limited(ImageSplit split, int[]? r, string name, int? limit, string limitName)
        {
            var kept = RowLimit.Positions(r?.Length ?? split.Count, limit, seed, limitName, split.Dataset, name);
            return kept is null ? Load(split, r, name)
                : Load(split, r is null ? kept : kept.Select(i => r[i]).ToArray(), RowLimit.SplitName(name, limitName, kept.Length));
        }
        var val = Load(pool, rows.Validation, valName);
        var testSet = Limited(test, null, test.Split, testLimit, "test_limit");
        var prompts = DatasetRegistry.Prompts(info.Name, root, pool.ClassNames);
        if (!whole)
        {
            var fewShot = Load(pool, rows.Train, trainName);
            return new TaskSets(fewShot, Limited(pool, rows.Train, trainName, trainLimit, "train_limit"), val, testSet, preset.Train, preset.Eval, prompts,
                $"{info.Title}: {m} shots per class ({fewShot.Count}) + disjoint {m} per class for validation ({val.Count}) from {pool.Split}, seed {seed}; " +
                $"test = official {test.Split} ({testSet.Count}); preset {preset.Name}");
        }
        var train = Limited(pool, rows.Train, trainName, trainLimit, "train_limit");
        // App. B still derives the sparsity ratios on a few-shot D_t: m per class drawn from the training rows
        var picked = FewShotSampler.PerClass(rows.Train.Select(i => pool.Labels[i]).ToArray(), info.ClassCount, m, seed, info.Name, validationShots: 0);
        var few = Load(pool, picked.Train.Select(i => rows.Train[i]).ToArray(), $"few-shot-train(m={m},seed={seed})");
        return new TaskSets(few, train, val, testSet, preset.Train, preset.Eval, prompts,
            $"{info.Title}: whole {pool.Split} ({rows.Train.Length}) minus {m} per class for validation ({val.Count}), seed {seed}; " +
            $"Algorithm 1 few-shot = {m} per class of the training rows ({few.Count}); test = official {test.Split} ({testSet.Count}); preset {preset.Name}");
    }

    public static TaskSets Glue(string task, ITextTokenizer tokenizer, ulong seed, string? dataRoot = null, int maxLength = 128,
        double? ratio = null, bool devSplit = false, SetCache? cache = null, string? tokenizerKey = null)
    {
        var root = DataRoot.Resolve(dataRoot);
        var info = DatasetRegistry.Get(task);
        if (info.Glue == null) throw new ArgumentException($"{info.Name} is an image dataset; use TaskData.Images");
        cache ??= SetCache.Shared;
        var train = DatasetRegistry.ReadGlue(info.Name, devSplit ? "dev-train" : "train", root, seed);
        var eval = DatasetRegistry.ReadGlue(info.Name, devSplit ? "dev-test" : "validation", root, seed);
        var few = GlueSplits.FewShot(train, seed, ratio);
        // a tokenizer without a key is not cached across calls: its vocabulary is unknown to the cache
        var tk = tokenizerKey ?? $"{tokenizer.GetType().FullName}#{System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(tokenizer)}";
        ClassificationSet Encode(GlueSplit s) =>
            cache.GetOrBuild(SetCache.Key(info.Name, s.Split, string.Join("|", s.Sources), SourceStamp(s.Sources), tk, maxLength.ToString(),
                    Fingerprints.Hash(s.Examples.SelectMany(e => BitConverter.GetBytes(e.Index)).ToArray())),
                () => TextEncoder.Encode(s, tokenizer, maxLength));
        var trainSet = Encode(train);
        var evalSet = Encode(eval);
        var fewSet = Encode(few);
        var protocol = $"{info.Title}: train = {train.Split} ({trainSet.Count}); Algorithm 1 few-shot = {few.Split} ({fewSet.Count}); " +
                       $"validation = test = {eval.Split} ({evalSet.Count}); seed {seed}; max length {maxLength}";
        return new TaskSets(fewSet, trainSet, evalSet, evalSet.Share(), null, null, null, protocol);
    }

    private static string SourceStamp(IEnumerable<string> sources) =>
        Fingerprints.Of(sources.Select(s => s.Contains('!') ? s[..s.IndexOf('!')] : s));
}
