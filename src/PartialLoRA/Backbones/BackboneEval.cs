using PartialLoRA.Data;
using PartialLoRA.Models;
using PartialLoRA.Runtime;
using PartialLoRA.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Backbones;

/// <summary>Evaluation passes over a data-layer set (eval mode, no gradients, optional bf16 autocast).</summary>
public static class BackboneEval
{
    /// <summary>Top-1 accuracy of <paramref name="model"/> on <paramref name="set"/>.</summary>
    public static double Accuracy(IClassifier model, ClassificationSet set, IBatchTransform? transform = null, int batchSize = 256, bool bf16 = false)
    {
        using var predictions = Predictions(model, set, transform, batchSize, bf16);
        using var eq = predictions.eq(set.Labels);
        return set.Count == 0 ? double.NaN : eq.sum().item<long>() / (double)set.Count;
    }

    /// <summary>Argmax predictions (N, int64, CPU).</summary>
    public static Tensor Predictions(IClassifier model, ClassificationSet set, IBatchTransform? transform = null, int batchSize = 256, bool bf16 = false) =>
        Map(set, transform, batchSize, bf16, model.Module, (x, m) => model.Logits(x, m).argmax(1));

    /// <summary>
    /// Runs <paramref name="f"/> over the set in order and concatenates its (N, …) outputs as f32 on the CPU, with
    /// <paramref name="module"/> in eval mode (its training flag is restored afterwards).
    /// </summary>
    public static Tensor Map(ClassificationSet set, IBatchTransform? transform, int batchSize, bool bf16, nn.Module module, Func<Tensor, Tensor?, Tensor> f)
    {
        var device = TorchRuntime.Device;
        var wasTraining = module.training;
        module.eval();
        try
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var parts = new List<Tensor>();
            foreach (var batch in set.Batches(batchSize, transform: transform, device: device))
            {
                using var b = batch;
                Tensor y;
                using (bf16 ? new Autocast(device) : null) y = f(b.Inputs, b.AttentionMask);
                parts.Add(y.is_floating_point() ? y.to(ScalarType.Float32).cpu() : y.cpu());
            }
            return parts.Count == 0 ? torch.empty(0) : torch.cat(parts, 0).MoveToOuterDisposeScope();
        }
        finally
        {
            module.train(wasTraining);
        }
    }
}
