using PartialLoRA.Models;
using PartialLoRA.Runtime;
using PartialLoRA.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Backbones;

/// <summary>Linear-probe scores of frozen features: accuracy on the validation split (early stopping) and on the test split.</summary>
public sealed record LinearProbeResult(double ValidationAccuracy, double TestAccuracy, int Epochs, double Seconds);

/// <summary>
/// The standard linear probe of a frozen backbone: features standardised with the training split's mean and std,
/// then a linear classifier trained by the engine's <see cref="Trainer"/> (AdamW, cosine schedule, early stopping
/// on the validation split, test evaluated on the kept state). Never selects on the test split.
/// </summary>
public static class LinearProbe
{
    public static LinearProbeResult Fit(Tensor trainFeatures, Tensor trainLabels, Tensor valFeatures, Tensor valLabels,
        Tensor testFeatures, Tensor testLabels, int numClasses, long seed = 0, int epochs = 40)
    {
        using var scope = torch.NewDisposeScope();
        var mean = trainFeatures.mean([0], keepdim: true);
        var std = trainFeatures.std(0, keepdim: true).clamp_min(1e-6);
        Tensor Standard(Tensor f) => (f - mean) / std;
        using var head = new LinearHead(trainFeatures.shape[1], numClasses, seed);
        var device = TorchRuntime.Device;
        head.to(device);
        var options = new TrainerOptions
        {
            LearningRate = 3e-3,
            Epochs = epochs,
            BatchSize = 256,
            EvalBatchSize = 4096,
            WeightDecay = 1e-4,
            Patience = 5,
            Seed = seed,
            Precision = Precision.F32,
        };
        var result = Trainer.Train(head, TrainableSetup.ForParameters(head.named_parameters().Select(p => (p.name, p.parameter))),
            new TensorBatches(Standard(trainFeatures), trainLabels.alias()),
            new TensorBatches(Standard(valFeatures), valLabels.alias()),
            new TensorBatches(Standard(testFeatures), testLabels.alias()),
            options, device);
        return new LinearProbeResult(result.Validation[ClassificationMetrics.Accuracy], result.Test![ClassificationMetrics.Accuracy],
            result.EpochsRun, result.WallSeconds);
    }

    private sealed class LinearHead : nn.Module, IClassifier
    {
        public Linear classifier;

        public LinearHead(long inFeatures, int classes, long seed) : base(nameof(LinearHead))
        {
            NumClasses = classes;
            classifier = nn.Linear(inFeatures, classes);
            RegisterComponents();
            using var noGrad = torch.no_grad();
            using var g = new Generator((ulong)seed);
            classifier.weight!.normal_(0, 0.01, generator: g);
            classifier.bias!.zero_();
        }

        public nn.Module Module => this;
        public int NumClasses { get; }
        public Tensor Logits(Tensor inputs, Tensor? attentionMask = null) => classifier.call(inputs);
    }
}
