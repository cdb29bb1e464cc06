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
/// steps, learning rate and precision (the pretraining run's) for both.
/// </summary>
public static class Sst2LoraCheck
{
    public sealed record Budget(int TrainExamples = 8000, int ValidationExamples = 1000, int Epochs = 2, int BatchSize = 32,
        double LearningRate = 1e-3, int Rank = 8, double Alpha = 16, long Seed = 0, bool Bf16 = true);

    public static JsonObject Run(string backboneFolder, ITextTokenizer tokenizer, string dataRoot, Budget budget, TextWriter log)
    {
        using var sets = TaskData.Glue("sst2", tokenizer, (ulong)budget.Seed, dataRoot, maxLength: 128);
        var n = (int)sets.Train.Count;
        if (budget.TrainExamples + budget.ValidationExamples > n)
            throw new ArgumentException($"SST-2 check: {budget.TrainExamples} + {budget.ValidationExamples} examples requested, the training split has {n}");
        var perm = SplitMix64.For((ulong)budget.Seed, "sst2-lora-check").Permutation(n);
        using var train = sets.Train.Subset(perm.Take(budget.TrainExamples).Select(i => (long)i).ToArray(), "check-train");
        using var val = sets.Train.Subset(perm.Skip(budget.TrainExamples).Take(budget.ValidationExamples).Select(i => (long)i).ToArray(), "check-validation");
        var config = DebertaV2Config.FromJson(HfModelFolder.ReadConfig(backboneFolder)) with { Labels = sets.Test.ClassNames };

        JsonObject One(bool pretrained)
        {
            using var model = new DebertaV2ForSequenceClassification(config, budget.Seed);
            if (pretrained) HfModelFolder.LoadWeights(model, backboneFolder);
            model.to(TorchRuntime.Device);
            var adapter = AdapterModel.Inject(model, new LoraConfig
            {
                TargetModules = TargetModules.Of([.. ModelRegistry.TargetModules(ModelFamily.Deberta)]),
                ModulesToSave = ["pooler", "classifier"],
                R = budget.Rank,
                Alpha = budget.Alpha,
                Seed = budget.Seed,
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
                Seed = budget.Seed,
                Precision = budget.Bf16 ? Precision.Bf16 : Precision.F32,
            };
            var r = Trainer.Train(model, setup, new SetBatches(train), new SetBatches(val), new SetBatches(sets.Test), options, TorchRuntime.Device);
            var acc = r.Test![ClassificationMetrics.Accuracy];
            log.WriteLine($"SST-2 LoRA check, {(pretrained ? "pretrained" : "random-init")} encoder: validation {r.Validation[ClassificationMetrics.Accuracy]:P2}, test {acc:P2} ({r.Steps} steps, {r.WallSeconds:F0} s)");
            return new JsonObject
            {
                ["validation_accuracy"] = Math.Round(r.Validation[ClassificationMetrics.Accuracy], 5),
                ["test_accuracy"] = Math.Round(acc, 5),
                ["steps"] = r.Steps,
                ["best_epoch"] = r.BestEpoch,
                ["trainable_parameters"] = r.TrainableParameters,
                ["wall_seconds"] = Math.Round(r.WallSeconds, 1),
            };
        }

        return new JsonObject
        {
            ["protocol"] = $"LoRA r={budget.Rank} α={budget.Alpha} on query_proj/value_proj + trainable pooler and classifier (seeded HF init); " +
                           $"{budget.TrainExamples} SST-2 training examples (seeded subset), {budget.Epochs} epochs, batch {budget.BatchSize}, AdamW lr {budget.LearningRate} " +
                           $"warm-up 6% + cosine, {(budget.Bf16 ? "bf16 autocast" : "f32")}; early stopping on {budget.ValidationExamples} other training examples; test = SST-2 GLUE dev ({sets.Test.Count}); seed {budget.Seed}",
            ["pretrained"] = One(true),
            ["random_init"] = One(false),
        };
    }
}
