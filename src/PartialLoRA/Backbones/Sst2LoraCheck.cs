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
        var config0 = DebertaV2Config.FromJson(HfModelFolder.ReadConfig(backboneFolder));
        var arms = new Dictionary<bool, List<JsonObject>> { [true] = [], [false] = [] };
        int testCount = 0;
        foreach (var seed in budget.Seeds)
        {
            using var sets = TaskData.Glue("sst2", tokenizer, (ulong)seed, dataRoot, maxLength: 128);
            testCount = (int)sets.Test.Count;
            var n = (int)sets.Train.Count;
            if (budget.TrainExamples + budget.ValidationExamples > n)
                throw new ArgumentException($"SST-2 check: {budget.TrainExamples} + {budget.ValidationExamples} examples requested, the training split has {n}");
            var perm = SplitMix64.For((ulong)seed, "sst2-lora-check").Permutation(n);
            using var train = sets.Train.Subset(perm.Take(budget.TrainExamples).Select(i => (long)i).ToArray(), "check-train");
            using var val = sets.Train.Subset(perm.Skip(budget.TrainExamples).Take(budget.ValidationExamples).Select(i => (long)i).ToArray(), "check-validation");
            var config = config0 with { Labels = sets.Test.ClassNames };
            foreach (var pretrained in new[] { true, false })
                arms[pretrained].Add(One(config, pretrained, seed, train, val, sets.Test));
        }

        JsonObject One(DebertaV2Config config, bool pretrained, long seed, ClassificationSet train, ClassificationSet val, ClassificationSet test)
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
            var r = Trainer.Train(model, setup, new SetBatches(train), new SetBatches(val), new SetBatches(test), options, TorchRuntime.Device);
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
        var seeds = new JsonArray([.. budget.Seeds.Select(s => (JsonNode)s)]);
        var result = new JsonObject
        {
            ["protocol"] = $"LoRA r={budget.Rank} α={budget.Alpha} on query_proj/value_proj + trainable pooler and classifier (seeded HF init); " +
                           $"{budget.TrainExamples} SST-2 training examples (seeded subset), {budget.Epochs} epochs, batch {budget.BatchSize}, AdamW lr {budget.LearningRate.ToString(CultureInfo.InvariantCulture)} " +
                           $"warm-up 6% + cosine, {(budget.Bf16 ? "bf16 autocast" : "f32")}; early stopping on {budget.ValidationExamples} other training examples; test = SST-2 GLUE dev ({testCount}); " +
                           $"{budget.Replicates} seed(s), each drawing its own subsets, initialisation and order, the same for both arms",
            ["seeds"] = seeds,
            ["pretrained"] = Arm(arms[true]),
            ["random_init"] = Arm(arms[false]),
            ["test_accuracy_difference"] = Summary(diffs, "pretrained − random-init, per seed"),
        };
        ((JsonObject)result["test_accuracy_difference"]!)["pretrained_better_in"] = $"{diffs.Count(d => d > 0)} of {diffs.Count} seeds";
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"SST-2 LoRA check: pretrained {Mean(arms[true].Select(Test)):P2} vs random-init {Mean(arms[false].Select(Test)):P2} test accuracy (mean of {diffs.Count} seed(s)); difference {Mean(diffs) * 100:+0.00;-0.00} points (min {diffs.Min() * 100:+0.00;-0.00}), pretrained better in {diffs.Count(d => d > 0)} of {diffs.Count}"));
        return result;
    }

    private static double Test(JsonObject run) => run["test_accuracy"]!.GetValue<double>();

    private static double Mean(IEnumerable<double> xs) => xs.Average();

    /// <summary>Mean, sample standard deviation (n − 1; absent for one seed), min and max.</summary>
    private static JsonObject Summary(IReadOnlyList<double> xs, string what)
    {
        var o = new JsonObject { ["what"] = what, ["mean"] = Math.Round(xs.Average(), 5) };
        if (xs.Count > 1)
        {
            var m = xs.Average();
            o["std"] = Math.Round(Math.Sqrt(xs.Sum(x => (x - m) * (x - m)) / (xs.Count - 1)), 5);
        }
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
        budget.Validate();
        var manifest = BackboneManifest.Open(backbonesDir);
        manifest.Verify(name);
        var kind = manifest.Require(name)["kind"]?.GetValue<string>();
        if (kind != "text") throw new ArgumentException($"{manifest.PathName}: backbone '{name}' is a '{kind}' backbone; the SST-2 check needs a 'text' one");
        var folder = manifest.BackboneFolder(name);
        var files = manifest.Require(name)["files"]!.DeepClone();
        var result = Run(folder, TokenizerFolder.Load(folder), dataRoot, budget, log);
        result["command"] = command;
        result["device"] = RunRecord.Device();
        BackboneManifest.Update(backbonesDir, m =>
        {
            var entry = m.Require(name);
            // the backbone must not have been replaced while the check ran
            if (!JsonNode.DeepEquals(entry["files"], files))
                throw new InvalidDataException($"{m.PathName}: backbone '{name}' changed while the SST-2 check ran; not recorded");
            (entry["quality"] as JsonObject ?? throw new InvalidDataException($"{m.PathName}: backbone '{name}' has no 'quality'"))["sst2_lora"] = result;
        });
        return result;
    }
}
