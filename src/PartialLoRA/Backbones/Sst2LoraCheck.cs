using System.Globalization;
using System.Text.Json.Nodes;
using PartialLoRA.Adapters;
using PartialLoRA.Data;
using PartialLoRA.Data.FewShot;
using PartialLoRA.Models;
using PartialLoRA.Models.Deberta;
using PartialLoRA.Runtime;
using PartialLoRA.Text;
using PartialLoRA.Training;
using TorchSharp;

namespace PartialLoRA.Backbones;

/// <summary>
/// Does the text backbone carry anything? The same short LoRA fine-tune on SST-2 for the pretrained encoder and for
/// a randomly initialised encoder of the same config: LoRA r = 8, α = 16 on query_proj/value_proj (PEFT's DeBERTa
/// default) plus the trainable pooler and classifier, on a seeded subset of SST-2's training split, early stopping
/// on another disjoint subset of the training split, accuracy on SST-2's GLUE dev set (the test). Same seed, data,
/// steps, learning rate and precision for both arms; repeated for <see cref="Budget.Replicates"/> seeds (each seed
/// draws its own subsets, adapter/head initialisation and order, shared by the two arms), so the difference is
/// reported per seed with its mean and spread rather than from one draw.
/// </summary>
public static class Sst2LoraCheck
{
    public sealed record Budget(int TrainExamples = 8000, int ValidationExamples = 1000, int Epochs = 2, int BatchSize = 32,
        double LearningRate = 1e-3, int Rank = 8, double Alpha = 16, long Seed = 0, int Replicates = 3, bool Bf16 = true)
    {
        public void Validate()
        {
            if (TrainExamples < 1 || ValidationExamples < 1) throw new ArgumentException($"SST-2 check: train ({TrainExamples}) and validation ({ValidationExamples}) examples must be ≥ 1");
            if (Epochs < 1 || BatchSize < 1 || Replicates < 1) throw new ArgumentException($"SST-2 check: epochs ({Epochs}), batch size ({BatchSize}) and replicates ({Replicates}) must be ≥ 1");
            if (!(LearningRate > 0)) throw new ArgumentException($"SST-2 check: learning rate {LearningRate} must be > 0");
        }

        public IEnumerable<long> Seeds => Enumerable.Range(0, Replicates).Select(i => Seed + i);
    }

    public static JsonObject Run(string backboneFolder, ITextTokenizer tokenizer, string dataRoot, Budget budget, TextWriter log)
    {
        budget.Validate();
        // SST-2's training and test splits do not depend on the seed (only the few-shot split, unused here): load once
        using var sets = TaskData.Glue("sst2", tokenizer, (ulong)budget.Seed, dataRoot, maxLength: 128);
        var n = (int)sets.Train.Count;
        if (budget.TrainExamples + budget.ValidationExamples > n)
            throw new ArgumentException($"SST-2 check: {budget.TrainExamples} + {budget.ValidationExamples} examples requested, the training split has {n}");
        var config = DebertaV2Config.FromJson(HfModelFolder.ReadConfig(backboneFolder)) with { Labels = sets.Test.ClassNames };
        var arms = new Dictionary<bool, List<JsonObject>> { [true] = [], [false] = [] };
        foreach (var seed in budget.Seeds)
        {
            var perm = SplitMix64.For((ulong)seed, "sst2-lora-check").Permutation(n);
            using var train = sets.Train.Subset(perm.Take(budget.TrainExamples).Select(i => (long)i).ToArray(), "check-train");
            using var val = sets.Train.Subset(perm.Skip(budget.TrainExamples).Take(budget.ValidationExamples).Select(i => (long)i).ToArray(), "check-validation");
            foreach (var pretrained in new[] { true, false })
                arms[pretrained].Add(One(pretrained, seed, train, val));
        }

        JsonObject One(bool pretrained, long seed, ClassificationSet train, ClassificationSet val)
        {
            using var model = new DebertaV2ForSequenceClassification(config, seed);
            if (pretrained) HfModelFolder.LoadWeights(model, backboneFolder);
            model.to(TorchRuntime.Device);
            var adapter = AdapterModel.Inject(model, new LoraConfig
            {
                TargetModules = TargetModules.Of([.. ModelRegistry.TargetModules(ModelFamily.Deberta)]),
                ModulesToSave = ["pooler", "classifier"],
                R = budget.Rank,
                Alpha = budget.Alpha,
                Seed = seed,
            });
            var setup = TrainableSetup.ForParameters(adapter.NamedTrainableParameters()) with { TrainableParameters = adapter.TrainableParameterCount };
            var options = new TrainerOptions
            {
                LearningRate = budget.LearningRate,
                Epochs = budget.Epochs,
                BatchSize = budget.BatchSize,
                EvalBatchSize = 128,
                WarmupRatio = 0.06,
                Patience = budget.Epochs,
                Seed = seed,
                Precision = budget.Bf16 ? Precision.Bf16 : Precision.F32,
            };
            var r = Trainer.Train(model, setup, new SetBatches(train), new SetBatches(val), new SetBatches(sets.Test), options, TorchRuntime.Device);
            var acc = r.Test![ClassificationMetrics.Accuracy];
            log.WriteLine($"SST-2 LoRA check, seed {seed}, {(pretrained ? "pretrained" : "random-init")} encoder: validation {r.Validation[ClassificationMetrics.Accuracy]:P2}, test {acc:P2} ({r.Steps} steps, {r.WallSeconds:F0} s)");
            return new JsonObject
            {
                ["seed"] = seed,
                ["validation_accuracy"] = Math.Round(r.Validation[ClassificationMetrics.Accuracy], 5),
                ["test_accuracy"] = Math.Round(acc, 5),
                ["steps"] = r.Steps,
                ["best_epoch"] = r.BestEpoch,
                ["trainable_parameters"] = r.TrainableParameters,
                ["wall_seconds"] = Math.Round(r.WallSeconds, 1),
            };
        }

        var diffs = arms[true].Zip(arms[false], (p, q) => Test(p) - Test(q)).ToList();
        var better = diffs.Count(d => d > 0);
        var difference = Summary(diffs, "pretrained − random-init, per seed");
        difference["pretrained_better_in"] = $"{better} of {diffs.Count} seeds";
        var result = new JsonObject
        {
            ["protocol"] = $"LoRA r={budget.Rank} α={budget.Alpha} on query_proj/value_proj + trainable pooler and classifier (seeded HF init); " +
                           $"{budget.TrainExamples} SST-2 training examples (seeded subset), {budget.Epochs} epochs, batch {budget.BatchSize}, AdamW lr {budget.LearningRate.ToString(CultureInfo.InvariantCulture)} " +
                           $"warm-up 6% + cosine, {(budget.Bf16 ? "bf16 autocast" : "f32")}; early stopping on {budget.ValidationExamples} other training examples; test = SST-2 GLUE dev ({sets.Test.Count}); " +
                           $"{budget.Replicates} seed(s), each drawing its own subsets, initialisation and order, the same for both arms",
            ["seeds"] = new JsonArray([.. budget.Seeds.Select(s => (JsonNode)s)]),
            ["pretrained"] = Arm(arms[true]),
            ["random_init"] = Arm(arms[false]),
            ["test_accuracy_difference"] = difference,
        };
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"SST-2 LoRA check: pretrained {arms[true].Average(Test):P2} vs random-init {arms[false].Average(Test):P2} test accuracy (mean of {diffs.Count} seed(s)); difference {diffs.Average() * 100:+0.00;-0.00} points (min {diffs.Min() * 100:+0.00;-0.00}), pretrained better in {better} of {diffs.Count}"));
        return result;
    }

    private static double Test(JsonObject run) => run["test_accuracy"]!.GetValue<double>();

    /// <summary>Mean, sample standard deviation (<see cref="Experiments.MeanStd"/>; absent for one seed), min, max and the values.</summary>
    private static JsonObject Summary(IReadOnlyList<double> xs, string what)
    {
        var ms = Experiments.MeanStd.Of(xs);
        var o = new JsonObject { ["what"] = what, ["mean"] = Math.Round(ms.Mean, 5) };
        if (ms.Count > 1) o["std"] = Math.Round(ms.Std, 5);
        o["min"] = Math.Round(xs.Min(), 5);
        o["max"] = Math.Round(xs.Max(), 5);
        o["per_seed"] = new JsonArray([.. xs.Select(x => (JsonNode)Math.Round(x, 5))]);
        return o;
    }

    private static JsonObject Arm(List<JsonObject> runs) => new()
    {
        ["test_accuracy"] = Summary([.. runs.Select(Test)], "test accuracy over seeds"),
        ["validation_accuracy_mean"] = Math.Round(runs.Average(r => r["validation_accuracy"]!.GetValue<double>()), 5),
        ["runs"] = new JsonArray([.. runs]),
    };

    /// <summary>
    /// Runs the check on a published text backbone (verified against the manifest) and records it as the entry's
    /// <c>quality.sst2_lora</c>, with the command and device; the rest of the entry is kept.
    /// </summary>
    public static JsonObject Record(string backbonesDir, string name, string dataRoot, Budget budget, string command, TextWriter log)
    {
        var manifest = BackboneManifest.Open(backbonesDir);
        manifest.Verify(name);
        var entry = manifest.Require(name);
        var kind = entry["kind"]?.GetValue<string>();
        if (kind != "text") throw new ArgumentException($"{manifest.PathName}: backbone '{name}' is a '{kind}' backbone; the SST-2 check needs a 'text' one");
        var folder = manifest.BackboneFolder(name);
        var result = Run(folder, TokenizerFolder.Load(folder), dataRoot, budget, log);
        result["command"] = command;
        result["device"] = RunRecord.Device();
        BackboneManifest.Update(backbonesDir, m =>
        {
            var current = m.Require(name);
            // the backbone must not have been replaced while the check ran
            if (!JsonNode.DeepEquals(current["files"], entry["files"]))
                throw new InvalidDataException($"{m.PathName}: backbone '{name}' changed while the SST-2 check ran; not recorded");
            (current["quality"] as JsonObject ?? throw new InvalidDataException($"{m.PathName}: backbone '{name}' has no 'quality'"))["sst2_lora"] = result;
        });
        return result;
    }
}
