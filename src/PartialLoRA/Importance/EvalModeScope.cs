using static TorchSharp.torch;

namespace PartialLoRA.Importance;

/// <summary>
/// Puts a model in eval mode (no dropout, fixed normalisation) for measuring importance or few-shot accuracy, and
/// on dispose gives every module back the train/eval mode it had.
/// </summary>
internal sealed class EvalModeScope : IDisposable
{
    private readonly List<(nn.Module Module, bool Training)> saved;

    public EvalModeScope(nn.Module root)
    {
        saved = [(root, root.training), .. root.named_modules().Select(p => (p.module, p.module.training))];
        root.eval();
    }

    public void Dispose()
    {
        // Parents first: train(bool) is recursive, so each child's own call comes after its parent's.
        foreach (var (module, training) in saved) module.train(training);
    }
}
