using PartialLoRA.Models;
using PartialLoRA.Sparsity;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Importance;

/// <summary>
/// The gradient importance measures of §4.2.2, element-wise on W and then summed over each row and each column:
/// SNIP (Lee et al., 2019) |∂L/∂W| and IMP (Molchanov et al., 2019) |∂L/∂W ⊙ W|, where L is the mean
/// cross-entropy of the model on D_t. One backward pass gives the gradients of every target.
/// </summary>
public static class GradientImportance
{
    /// <summary>
    /// SNIP or IMP scores for every target. The model runs in eval mode; only the target weights take gradients
    /// (the model's train/eval modes, requires_grad flags and any existing .grad are restored afterwards).
    /// <paramref name="batchSize"/> bounds memory (0: the whole set at once); the gradient is that of the mean
    /// loss over all of D_t either way.
    /// </summary>
    public static IReadOnlyList<ImportanceScores> Compute(IClassifier model, FewShotSet data, IReadOnlyList<TargetLayer> targets,
        ImportanceMeasure measure, int batchSize = 0)
    {
        if (measure is not (ImportanceMeasure.Snip or ImportanceMeasure.Imp))
            throw new ArgumentException($"gradient importance computes SNIP or IMP, not {measure}", nameof(measure));
        if (targets.Count == 0) throw new ArgumentException("no target layers given", nameof(targets));
        data.CheckLabels(model.NumClasses);

        var device = targets[0].Weight.device;
        var parameters = model.Module.parameters().ToList();
        var requiresGrad = parameters.Select(p => p.requires_grad).ToList();
        var oldGrads = targets.Select(t => t.Weight.grad).ToList();
        using var mode = new EvalModeScope(model.Module);
        try
        {
            foreach (var p in parameters) p.requires_grad = false;
            foreach (var t in targets)
            {
                t.Weight.grad = null;
                t.Weight.requires_grad = true;
            }
            using (torch.set_grad_enabled(true))
            using (torch.NewDisposeScope())
            {
                foreach (var (x, mask, y) in FewShotBatches.Split(data, batchSize, device))
                {
                    using var scope = torch.NewDisposeScope();
                    var logits = model.Logits(x, mask);
                    var loss = nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum) / data.Count;
                    loss.backward();
                }
            }
            return targets.Select(t => Scores(t, measure)).ToList();
        }
        finally
        {
            for (var i = 0; i < targets.Count; i++) targets[i].Weight.grad = oldGrads[i];
            for (var i = 0; i < parameters.Count; i++) parameters[i].requires_grad = requiresGrad[i];
        }
    }

    private static ImportanceScores Scores(TargetLayer target, ImportanceMeasure measure)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var w = target.Weight;
        var g = w.grad ?? throw new InvalidOperationException(
            $"layer '{target.Path}' got no gradient: the model's Logits do not depend on it (is it called through its field?)");
        var element = (measure == ImportanceMeasure.Snip ? g : g * w).abs().to(ScalarType.Float64);
        return new ImportanceScores(target.Path,
            element.sum(dim: 1).cpu().data<double>().ToArray(),
            element.sum(dim: 0).cpu().data<double>().ToArray());
    }
}
