using System.Text.Json.Nodes;
using PartialLoRA.Experiments;
using PartialLoRA.Experiments.Synthetic;
using PartialLoRA.Training;
using TorchSharp;

namespace PartialLoRA.Tests.Training;

/// <summary>A tiny real workload for trainer tests: generated blobs and a residual MLP.</summary>
internal static class TrainingSupport
{
    public static TrainingTask Blobs(int classes = 3, int features = 8, int trainPerClass = 32, double spread = 1.0)
    {
        var p = new GaussianBlobs();
        var o = p.Normalize(new JsonFields(new JsonObject
        {
            ["classes"] = classes, ["features"] = features, ["train_per_class"] = trainPerClass, ["spread"] = spread,
        }, "", "test"));
        return p.Load(o, ModelInputs.Features);
    }

    public static TinyMlp Mlp(TrainingTask task, long initSeed = 0, double dropout = 0.1) =>
        new(task.InputDescription["features"]!.GetValue<int>(), 16, 2, task.NumClasses, dropout, initSeed);

    public static TrainableSetup All(TinyMlp m) => TrainableSetup.ForParameters(m.named_parameters());

    public static TrainerOptions Options(long seed = 0, int epochs = 6) => new()
    {
        Seed = seed,
        Epochs = epochs,
        BatchSize = 16,
        LearningRate = 5e-3,
        Patience = 100,
    };

    public static TrainingResult Train(TrainingTask task, TinyMlp model, TrainerOptions options) =>
        Trainer.Train(model, All(model), task.Train, task.Validation, task.Test, options, torch.CPU);
}
