using PartialLoRA.Text;

namespace PartialLoRA.Data;

/// <summary>
/// Everything a run needs from one dataset: <see cref="FewShot"/> = D_t for Algorithm 1 (sparsity derivation),
/// <see cref="Train"/>, <see cref="Validation"/> (early stopping), <see cref="Test"/>, with the per-batch transforms
/// for training and evaluation (images; null for tokens) and CLIP's prompts for the head (images with a CLIP list).
/// For few-shot image runs FewShot and Train are the same rows (paper §5: "the same few-shot dataset for sparsity
/// ratio derivation is used" for training).
/// </summary>
public sealed class TaskSets(ClassificationSet fewShot, ClassificationSet train, ClassificationSet validation, ClassificationSet test,
    IBatchTransform? trainTransform, IBatchTransform? evalTransform, ClipPromptSet? prompts, string protocol) : IDisposable
{
    public ClassificationSet FewShot { get; } = fewShot;
    public ClassificationSet Train { get; } = train;
    public ClassificationSet Validation { get; } = validation;
    public ClassificationSet Test { get; } = test;
    public IBatchTransform? TrainTransform { get; } = trainTransform;
    public IBatchTransform? EvalTransform { get; } = evalTransform;
    public ClipPromptSet? Prompts { get; } = prompts;
    /// <summary>How the sets were drawn, in words (for reports).</summary>
    public string Protocol { get; } = protocol;

    public void Dispose()
    {
        FewShot.Dispose();
        Train.Dispose();
        Validation.Dispose();
        Test.Dispose();
    }
}
