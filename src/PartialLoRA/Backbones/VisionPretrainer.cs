using System.Text.Json.Nodes;
using PartialLoRA.Data;
using PartialLoRA.Data.FewShot;
using PartialLoRA.Data.Images;
using PartialLoRA.Data.Registry;
using PartialLoRA.Models.Clip;
using PartialLoRA.Runtime;
using PartialLoRA.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Backbones;

/// <summary>The sets of a vision pretraining run: CIFAR-10 train minus a stratified validation hold-out, and the official test split.</summary>
public sealed class VisionPretrainData : IDisposable
{
    public required ClassificationSet Train { get; init; }
    public required ClassificationSet Validation { get; init; }
    public required ClassificationSet Test { get; init; }
    public required ImageTransform TrainTransform { get; init; }
    public required ImageTransform EvalTransform { get; init; }
    public required string Description { get; init; }

    public static VisionPretrainData Load(VisionPretrainOptions o, string dataRoot)
    {
        var info = DatasetRegistry.Get(o.Dataset);
        if (!info.IsImage) throw new ArgumentException($"vision pretraining: {info.Name} is not an image dataset");
        var preset = ImagePreset.Lab(o.ImageSize);
        var pool = DatasetRegistry.ReadImages(info.Name, info.PoolSplits.Single(), dataRoot);
        var split = FewShotSampler.Split(pool.Labels, info.ClassCount, o.ValidationFraction, (ulong)o.Schedule.Seed, info.Name, "pretrain-validation");
        var test = DatasetRegistry.ReadImages(info.Name, info.TestSplit, dataRoot);
        var train = pool.Load(preset.Decode, split.Train, "pretrain-train");
        var val = pool.Load(preset.Decode, split.Validation, "pretrain-validation");
        var testSet = test.Load(preset.Decode);
        var eval = preset.Eval;
        return new VisionPretrainData
        {
            Train = train,
            Validation = val,
            Test = testSet,
            EvalTransform = eval,
            TrainTransform = eval with
            {
                RandomResizedCrop = new RandomResizedCropOptions(ScaleMin: o.CropScaleMin),
                FlipProbability = o.FlipProbability,
            },
            Description = $"{info.Title} {pool.Split} ({pool.Count}) minus a stratified {o.ValidationFraction:P0} validation hold-out " +
                          $"(seed {o.Schedule.Seed}): train {train.Count}, validation {val.Count}; test = official {test.Split} ({testSet.Count}); " +
                          $"data root {dataRoot}",
        };
    }

    public void Dispose()
    {
        Train.Dispose();
        Validation.Dispose();
        Test.Dispose();
    }
}

/// <summary>
/// Pretrains the lab vision backbone (<see cref="VisionPretrainOptions"/>) in a work folder, restartably
/// (<see cref="PretrainLoop"/>). Each epoch ends with the validation accuracy of the pretraining head.
/// </summary>
public static class VisionPretrainer
{
    public const string Kind = "vision";

    /// <summary>Runs (or resumes) the pretraining; returns the trained classifier (CIFAR-10 head) and the run's history.</summary>
    public static (ClipVisionClassifier Model, PretrainRunInfo Run) Train(VisionPretrainOptions o, VisionPretrainData data, string workDir, TextWriter log,
        int? stopAfterEpoch = null, int keepEpochs = PretrainLoop.DefaultKeepEpochSnapshots)
    {
        o.Validate();
        var device = TorchRuntime.Device;
        var model = new ClipVisionClassifier(o.VisionConfig(), o.ProjectionDim, data.Train.ClassNames, normalizeFeatures: true, seed: o.Schedule.Seed);
        o.Init?.LoadInto(model, Kind, log);
        model.to(device);
        var s = o.Schedule;
        int n = (int)data.Train.Count, stepsPerEpoch = n / s.BatchSize;
        using var loop = new PretrainLoop(Kind, o.ToJson(), s, model, stepsPerEpoch, workDir, log, "img", s.BatchSize, stopAfterEpoch, keepEpochs, o.Init?.StreamTag);
        log.WriteLine($"{Kind}: {data.Description}");
        log.WriteLine($"{Kind}: {ModelSize(model)}; {loop.TotalSteps} steps of {s.BatchSize} ({s.Epochs} epochs), device {device}, {torch.get_num_threads()} threads");
        if (CpuBf16.Warning(device, s.Bf16) is { } warning) log.WriteLine($"{Kind}: {warning}");

        int[]? order = null;
        int orderEpoch = -1;
        Tensor StepLoss(int epoch, int batch, int step)
        {
            if (orderEpoch != epoch)
            {
                order = loop.Stream("order", epoch.ToString()).Permutation(n);
                orderEpoch = epoch;
            }
            var rows = torch.tensor(order.AsSpan(batch * s.BatchSize, s.BatchSize).ToArray().Select(i => (long)i).ToArray());
            var x = data.Train.Inputs.index_select(0, rows).to(device);
            var y = data.Train.Labels.index_select(0, rows).to(device);
            x = data.TrainTransform.Apply(x, loop.Stream("augment", step.ToString()));
            Tensor logits;
            using (s.Bf16 ? new Autocast(device) : null) logits = model.Logits(x);
            return nn.functional.cross_entropy(logits.to(ScalarType.Float32), y, label_smoothing: o.LabelSmoothing);
        }

        JsonObject EndOfEpoch(int epoch) => new()
        {
            ["validation_accuracy"] = Math.Round(BackboneEval.Accuracy(model, data.Validation, data.EvalTransform, bf16: s.Bf16), 5),
        };

        loop.Run(StepLoss, EndOfEpoch);
        model.eval();
        return (model, new PretrainRunInfo(loop.Step, loop.StepsPerEpoch, loop.Epochs, loop.ElapsedSeconds, loop.History, loop.Resumed, loop.FromSnapshot));
    }

    internal static string ModelSize(nn.Module m) => $"{m.parameters().Sum(p => p.numel()):N0} parameters";
}

/// <summary>What a pretraining loop reports: <paramref name="Steps"/> taken (all of the schedule's unless it stopped early), its schedule's epochs.</summary>
public sealed record PretrainRunInfo(int Steps, int StepsPerEpoch, int ScheduledEpochs, double ElapsedSeconds, JsonArray History, bool Resumed, bool FromSnapshot)
{
    public int EpochsTrained => Steps / StepsPerEpoch;

    public bool Complete => EpochsTrained >= ScheduledEpochs;
}

/// <summary>Publishing the trained vision backbone: fp16 HF folder, its measured quality, and the manifest entry.</summary>
public static class VisionPublisher
{
    public const string DefaultName = "clip-vit-lab-cifar10";

    /// <summary>
    /// Writes <paramref name="model"/> (tower, projection and CIFAR-10 head) as fp16 into
    /// <c>{backbones}/{name}</c>, loads it back from there (as every user will) and measures, in f32: the pretraining
    /// head's accuracy on the validation hold-out and the official test split, and a linear probe on the frozen
    /// normalised features (train → validation early stopping → test). Records everything in the manifest.
    /// </summary>
    public static JsonObject Publish(ClipVisionClassifier model, VisionPretrainData data, VisionPretrainOptions o, PretrainRunInfo run,
        string backbonesDir, string name, string command, TextWriter log)
    {
        var folder = Path.Combine(backbonesDir, name);
        BackboneExport.SaveFp16(model, folder);
        var (loaded, report) = Models.ModelRegistry.LoadClassifier(folder);
        using var _ = loaded.Module;
        loaded.Module.to(TorchRuntime.Device);
        log.WriteLine($"{VisionPretrainer.Kind}: wrote {folder} ({report.Summary()}); evaluating the fp16 checkpoint in f32");
        var clip = (ClipVisionClassifier)loaded;
        var val = BackboneEval.Accuracy(clip, data.Validation, data.EvalTransform);
        var test = BackboneEval.Accuracy(clip, data.Test, data.EvalTransform);
        log.WriteLine($"{VisionPretrainer.Kind}: pretraining head: validation {val:P2}, test {test:P2}");

        Tensor Feats(Data.ClassificationSet s) => BackboneEval.Map(s, data.EvalTransform, 256, false, clip.Module,
            (x, _) => clip.Features(clip.vision_model.Forward(x).LastHidden));
        using var ftrain = Feats(data.Train);
        using var fval = Feats(data.Validation);
        using var ftest = Feats(data.Test);
        var probe = LinearProbe.Fit(ftrain, data.Train.Labels, fval, data.Validation.Labels, ftest, data.Test.Labels, clip.NumClasses, o.Schedule.Seed);
        log.WriteLine($"{VisionPretrainer.Kind}: linear probe: validation {probe.ValidationAccuracy:P2}, test {probe.TestAccuracy:P2} ({probe.Epochs} epochs)");

        var quality = new JsonObject
        {
            ["evaluated"] = "the committed fp16 checkpoint loaded into an f32 model, f32 forward; eval preprocessing lab32 (stretch to 32×32, CLIP mean/std)",
            ["pretraining_head_validation_accuracy"] = Math.Round(val, 5),
            ["pretraining_head_test_accuracy"] = Math.Round(test, 5),
            ["test_split"] = $"{data.Test.Name} {data.Test.Split} ({data.Test.Count} images)",
            ["linear_probe"] = new JsonObject
            {
                ["features"] = "L2-normalised visual_projection output of the class token (what the classifier sees), standardised",
                ["recipe"] = "linear layer, AdamW lr 3e-3 wd 1e-4, batch 256, cosine, ≤ 40 epochs, early stopping on the validation hold-out (patience 5)",
                ["validation_accuracy"] = Math.Round(probe.ValidationAccuracy, 5),
                ["test_accuracy"] = Math.Round(probe.TestAccuracy, 5),
                ["epochs"] = probe.Epochs,
            },
        };
        var entry = new JsonObject
        {
            ["folder"] = name,
            ["kind"] = "vision",
            ["model_type"] = ClipVisionClassifier.SavedModelType,
            ["load"] = "LabBackbones.Vision(labels) (tower + projection, head initialised by ClassMeanHead); ModelRegistry.LoadClassifier(folder) for the CIFAR-10 pretraining classifier",
            ["preprocessing"] = "ImagePreset.Lab(32): RGB, stretched to 32×32, CLIP mean/std",
            ["files"] = BackboneManifest.Hashes(folder),
            ["bytes"] = Directory.EnumerateFiles(folder).Sum(f => new FileInfo(f).Length),
            ["dtype"] = "float16",
            ["parameters"] = model.parameters().Sum(p => p.numel()),
        };
        foreach (var (k, v) in RunRecord.Provenance(command, data.Description, run, o.Schedule.Seed)) entry[k] = v?.DeepClone();
        entry["options"] = o.ToJson();
        PretrainInit.RecordChain(entry, o.Init, run);
        entry["quality"] = quality;
        entry["history"] = run.History.DeepClone();
        var manifest = BackboneManifest.Update(backbonesDir, m => m.SetEntry(name, entry));
        log.WriteLine($"{VisionPretrainer.Kind}: recorded '{name}' in {manifest.PathName}");
        return entry;
    }
}
