using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Training;

/// <summary>Thrown when training produces a non-finite loss or gradient norm (e.g. a learning rate too large).</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>
/// Clipping by the global L2 norm of all gradients, as PyTorch's <c>clip_grad_norm_</c>
/// (scale by max_norm / (norm + 1e-6) when that is below 1), and the divergence check: a non-finite norm throws
/// <see cref="TrainingDivergedException"/> instead of letting NaNs into the weights.
/// </summary>
public static class GradientClipping
{
    /// <summary>Returns the norm before clipping; <paramref name="maxNorm"/> null only measures it.</summary>
    public static double ClipByGlobalNorm(IEnumerable<Parameter> parameters, double? maxNorm)
    {
        if (maxNorm is <= 0) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "max_grad_norm must be > 0");
        using var scope = torch.NewDisposeScope();
        var grads = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();
        if (grads.Count == 0) return 0;
        var total = torch.stack(grads.Select(g => g.detach().to(ScalarType.Float32).norm()).ToArray()).norm();
        var norm = total.item<float>();
        if (!float.IsFinite(norm)) throw new TrainingDivergedException($"the gradient norm is {norm}");
        if (maxNorm is { } max)
        {
            var coef = max / (norm + 1e-6);
            if (coef < 1)
                using (torch.no_grad())
                    foreach (var g in grads) g.mul_(coef);
        }
        return norm;
    }
}
