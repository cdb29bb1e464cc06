using System.Text.Json.Nodes;
using PartialLoRA.Data;
using PartialLoRA.Data.Registry;
using PartialLoRA.Models;
using PartialLoRA.Runtime;
using PartialLoRA.Training;
using TorchSharp;

namespace PartialLoRA.Backbones;

/// <summary>
/// Algorithm 1's starting point for every lab task: μ, the accuracy on the few-shot set D_t of the pretrained lab
/// backbone whose head was initialised from D_t's class means (<see cref="ClassMeanHead"/>), with the same model's
/// validation and test scores before any training. Vision: CIFAR-10 (in-domain: the backbone's pretraining data) and
/// FER2013, GTSRB, Fashion-MNIST (out-of-domain), 16 shots per class (<see cref="TaskData.Images"/>). Text: SST-2,
/// MRPC, CoLA, QNLI with the data layer's GLUE few-shot sets (2% / 5% of the training split,
/// <see cref="TaskData.Glue"/>); QNLI uses the data layer's dev split (80% train / 20% test).
/// </summary>
public static class FewShotBaselines
{
    public static readonly IReadOnlyList<(string Task, string Domain)> VisionTasks =
        [("cifar10", "in-domain"), ("fer2013", "out-of-domain"), ("gtsrb", "out-of-domain"), ("fashion-mnist", "out-of-domain")];

    public static readonly IReadOnlyList<string> TextTasks = ["sst2", "mrpc", "cola", "qnli"];

    /// <summary>The manifest section that holds the table (<c>pretrain baselines</c> writes it).</summary>
    public const string SectionName = "few_shot_baselines";

    /// <summary>The untrained model's test accuracy on <paramref name="task"/> as recorded in the manifest's table; null when not recorded.</summary>
    public static double? RecordedTestAccuracy(BackboneManifest manifest, string task) =>
        (manifest.Section(SectionName)?["rows"] as JsonArray)?
        .FirstOrDefault(r => r?["task"]?.GetValue<string>() == task)?["test"]?["accuracy"]?.GetValue<double>();

    public static JsonObject Compute(string dataRoot, string backbonesDir, ulong seed, int shots, TextWriter log)
    {
        var rows = new JsonArray();
        var device = TorchRuntime.Device;
        foreach (var (task, domain) in VisionTasks)
        {
            using var sets = TaskData.Images(task, LabBackbones.VisionPreset(), seed, dataRoot, shots);
            using var model = LabBackbones.Vision(sets.FewShot.ClassNames, backbonesDir, (long)seed);
            model.to(device);
            ClassMeanHead.Initialize(model, sets.FewShot, sets.EvalTransform);
            rows.Add(Row(task, domain, model, sets, sets.EvalTransform, log));
        }
        var tokenizer = LabBackbones.Tokenizer(backbonesDir);
        foreach (var task in TextTasks)
        {
            var qnli = task == "qnli";
            using var sets = TaskData.Glue(task, tokenizer, seed, dataRoot, maxLength: 128, devSplit: qnli);
            using var model = LabBackbones.Text(sets.FewShot.ClassNames, backbonesDir, (long)seed);
            model.to(device);
            ClassMeanHead.Initialize(model, sets.FewShot);
            rows.Add(Row(task, "text", model, sets, null, log));
        }
        return new JsonObject
        {
            ["what"] = "μ = accuracy on the few-shot set D_t of the lab backbone with its head initialised from D_t's class means (Algorithm 1, line 1); " +
                       "validation/test = the same untrained model on the task's validation and test splits",
            ["seed"] = seed,
            ["vision_protocol"] = $"{shots} shots per class from the official training pool + disjoint {shots} per class for validation; official test split; preprocessing lab32",
            ["text_protocol"] = "data layer GLUE protocol: D_t = stratified 2% (MRPC, CoLA) / 5% (SST-2, QNLI) of the training split; validation = test = GLUE dev (SST-2: the offline test.tsv = GLUE dev); " +
                                $"QNLI: train = 80% of GLUE dev, test = the other 20% (split seed {seed}; the text backbone saw only the training part of the seed-0 split)",
            ["head_init"] = "vision: rows = 100 · normalised class means of the L2-normalised image features (CLIP's zero-shot head with class means in place of prompt embeddings); " +
                            "text: Gaussian nearest-class-mean rule on the pooled [CLS] features (pooler at its seeded init)",
            ["rows"] = rows,
        };
    }

    private static JsonObject Row(string task, string domain, IClassifier model, TaskSets sets, IBatchTransform? transform, TextWriter log)
    {
        var info = DatasetRegistry.Get(task);
        var mu = BackboneEval.Accuracy(model, sets.FewShot, transform);
        var val = Scores(model, sets.Validation, transform);
        var test = Scores(model, sets.Test, transform);
        log.WriteLine($"{task,-14} μ = {mu:P2} on D_t ({sets.FewShot.Count}); test {string.Join(", ", test.Select(kv => $"{kv.Key} {kv.Value:F4}"))}");
        var row = new JsonObject
        {
            ["task"] = task,
            ["domain"] = domain,
            ["classes"] = info.ClassCount,
            ["few_shot_examples"] = sets.FewShot.Count,
            ["mu"] = Math.Round(mu, 5),
            ["validation"] = ToJson(val),
            ["test"] = ToJson(test),
            ["test_examples"] = sets.Test.Count,
        };
        return row;
    }

    private static Dictionary<string, double> Scores(IClassifier model, ClassificationSet set, IBatchTransform? transform)
    {
        using var pred = BackboneEval.Predictions(model, set, transform);
        var confusion = ClassificationMetrics.ConfusionMatrix(pred.data<long>().ToArray(), set.LabelArray(), model.NumClasses);
        var names = new List<string> { ClassificationMetrics.Accuracy };
        if (set.Metric.Contains("matthews", StringComparison.OrdinalIgnoreCase)) names.Add(ClassificationMetrics.MatthewsCorrelation);
        if (set.Metric.Contains("f1", StringComparison.OrdinalIgnoreCase)) names.Add(ClassificationMetrics.F1);
        return ClassificationMetrics.Compute(names, confusion);
    }

    private static JsonObject ToJson(Dictionary<string, double> scores)
    {
        var o = new JsonObject();
        foreach (var (k, v) in scores) o[k] = Math.Round(v, 5);
        return o;
    }
}
