using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Training;

/// <summary>
/// Parameters that share optimizer settings (e.g. LoRA+'s B matrices at λ × the base rate).
/// </summary>
/// <param name="Name">For logs and errors.</param>
/// <param name="LearningRateScale">This group's rate = the run's learning rate × scale.</param>
/// <param name="WeightDecay">Null: the run's weight decay (or 0 for biases and norm weights, see <see cref="TrainableSetup.ForParameters"/>).</param>
public sealed record ParameterGroup(string Name, IReadOnlyList<Parameter> Parameters, double LearningRateScale = 1, double? WeightDecay = null);

/// <summary>
/// What a fine-tuning method hands the trainer: which parameters to optimise (in groups), the exact
/// trainable-parameter count (masked entries excluded), and optional per-step hooks such as AdaLoRA's
/// orthogonality regulariser and rank allocator.
/// </summary>
/// <param name="TrainableParameters">The count the paper reports (only entries that can change).</param>
/// <param name="RegularizationLoss">Added to the task loss inside each step (e.g. AdaLoRA's γ·R(P, Q)).</param>
/// <param name="AfterOptimizerStep">Called with the 0-based step after optimizer.step() while gradients still exist (AdaLoRA's update_and_allocate).</param>
public sealed record TrainableSetup(
    IReadOnlyList<ParameterGroup> Groups,
    long TrainableParameters,
    Func<Tensor>? RegularizationLoss = null,
    Action<int>? AfterOptimizerStep = null)
{
    public IEnumerable<Parameter> Parameters => Groups.SelectMany(g => g.Parameters);

    /// <summary>
    /// Groups named parameters as HF Trainer does for weight decay: biases and normalisation weights
    /// (a path segment containing "norm", any case) get none, the rest get the run's.
    /// </summary>
    public static TrainableSetup ForParameters(IEnumerable<(string Name, Parameter Param)> named, double learningRateScale = 1)
    {
        var decay = new List<Parameter>();
        var noDecay = new List<Parameter>();
        long count = 0;
        foreach (var (name, p) in named)
        {
            count += p.numel();
            (ExemptFromDecay(name) ? noDecay : decay).Add(p);
        }
        var groups = new List<ParameterGroup>();
        if (decay.Count > 0) groups.Add(new ParameterGroup("decay", decay, learningRateScale));
        if (noDecay.Count > 0) groups.Add(new ParameterGroup("no_decay", noDecay, learningRateScale, WeightDecay: 0));
        return new TrainableSetup(groups, count);
    }

    public static bool ExemptFromDecay(string name)
    {
        var segments = name.Split('.');
        return segments[^1] == "bias" || segments.Any(s => s.Contains("norm", StringComparison.OrdinalIgnoreCase));
    }
}
