using PartialLoRA.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Sparsity;

/// <summary>
/// Counts correct predictions of a classifier on D_t (the sum inside Algorithm 1's accuracy) under no_grad, in
/// batches. For an <see cref="IBlockwiseClassifier"/> it keeps the hidden state entering one block, so that when a
/// layer of block b is masked only blocks b…B-1 and the head run again; the cache only moves forward, one unmasked
/// block at a time, so all of Algorithm 1 costs one embedding pass plus one pass through every block on top of the
/// candidate evaluations. The caller keeps the model's weights unmasked whenever it calls <see cref="Prepare"/>.
///
/// Creating the evaluator measures the baseline (μ·N correct, on the unmasked model) and orders D_t by the
/// baseline's margin, logit of the label minus the best other logit, smallest first: the samples most likely to
/// flip come first, so <see cref="Passes"/> can tell a failing candidate after a batch or two. Counts do not depend
/// on the order.
/// </summary>
public sealed class FewShotEvaluator : IDisposable
{
    private readonly IClassifier model;
    private readonly IBlockwiseClassifier? blockwise;
    private readonly List<(Tensor Inputs, Tensor? Mask, Tensor Labels)> batches = [];
    private List<Tensor>? hidden;
    private int hiddenBlock = -1;

    public FewShotEvaluator(IClassifier model, FewShotSet data, int batchSize, Device device)
    {
        this.model = model;
        blockwise = model as IBlockwiseClassifier;
        SampleCount = data.Count;
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var margins = new List<Tensor>();
        long correct = 0;
        foreach (var (x, mask, y) in FewShotBatches.Split(data, batchSize, device))
        {
            var logits = model.Logits(x, mask);
            correct += logits.argmax(1).eq(y).sum().item<long>();
            var label = logits.gather(1, y.unsqueeze(1)).squeeze(1);
            var others = logits.masked_fill(nn.functional.one_hot(y, logits.shape[1]).to(ScalarType.Bool), float.NegativeInfinity).max(1).values;
            margins.Add(label - others);
        }
        Evaluations = 1;
        SamplesEvaluated = SampleCount;
        BaselineCorrect = correct;
        var margin = torch.cat(margins, 0);
        var order = margin.argsort(0, descending: false);
        var ordered = new FewShotSet(data.Inputs.to(device).index_select(0, order), data.Labels.to(device).index_select(0, order),
            data.AttentionMask?.to(device).index_select(0, order));
        foreach (var (x, mask, y) in FewShotBatches.Split(ordered, batchSize, device))
            batches.Add((x.DetachFromDisposeScope(), mask?.DetachFromDisposeScope(), y.DetachFromDisposeScope()));
    }

    public int SampleCount { get; }

    /// <summary>μ·N: correct predictions (argmax = label) of the unmasked model.</summary>
    public long BaselineCorrect { get; }

    /// <summary>Passes of D_t (whole or stopped early) so far, the baseline included: the evaluations of Algorithm 1.</summary>
    public int Evaluations { get; private set; }

    /// <summary>Samples run through the model by those evaluations (less than Evaluations × N when <see cref="Passes"/> stops early).</summary>
    public long SamplesEvaluated { get; private set; }

    /// <summary>Whether layers of block <paramref name="block"/> can be evaluated from a cached hidden state.</summary>
    public bool CanCache(int? block) => blockwise != null && block != null;

    /// <summary>
    /// Moves the cache to the hidden state entering <paramref name="block"/>, running the (unmasked) blocks in
    /// between. Moving backwards starts again from the embedding.
    /// </summary>
    public void Prepare(int block)
    {
        var b = blockwise ?? throw new InvalidOperationException("the model is not an IBlockwiseClassifier");
        if (block < 0 || block >= b.BlockCount)
            throw new ArgumentOutOfRangeException(nameof(block), block, $"the model has blocks 0…{b.BlockCount - 1}");
        if (hidden != null && hiddenBlock == block) return;
        using var noGrad = torch.no_grad();
        if (hidden == null || hiddenBlock > block)
        {
            DisposeHidden();
            hidden = batches.Select(batch => Keep(() => b.Embed(batch.Inputs, batch.Mask))).ToList();
            hiddenBlock = 0;
        }
        for (; hiddenBlock < block; hiddenBlock++)
        {
            for (var i = 0; i < batches.Count; i++)
            {
                var h = hidden[i];
                var i1 = i;
                hidden[i] = Keep(() => b.Block(hiddenBlock, h, batches[i1].Mask));
                h.Dispose();
            }
        }
    }

    /// <summary>
    /// Whether at least <paramref name="needed"/> predictions on D_t are correct. Batches run in order and the pass
    /// stops as soon as the answer is certain (enough correct already, or too few samples left to get there), so
    /// the answer is exactly "correct ≥ needed" at a fraction of the cost when the model is far from the threshold.
    /// Needs batches (a batch size below N) to stop early. <paramref name="block"/>: evaluate from the cached state
    /// entering that block (after <see cref="Prepare"/>), or through the full <c>Logits</c> when null.
    /// </summary>
    public bool Passes(int? block, double needed)
    {
        CheckBlock(block);
        Evaluations++;
        long correct = 0, left = SampleCount;
        for (var i = 0; i < batches.Count; i++)
        {
            correct += CorrectInBatch(i, block);
            left -= batches[i].Labels.shape[0];
            if (correct >= needed) return true;
            if (correct + left < needed) return false;
        }
        return correct >= needed;
    }

    private void CheckBlock(int? block)
    {
        if (block != null && (!CanCache(block) || hidden == null || hiddenBlock != block))
            throw new InvalidOperationException($"call Prepare({block}) before evaluating from block {block}");
    }

    private long CorrectInBatch(int i, int? block)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var (x, mask, y) = batches[i];
        SamplesEvaluated += y.shape[0];
        Tensor logits;
        if (block is { } start)
        {
            var h = hidden![i];
            for (var j = start; j < blockwise!.BlockCount; j++) h = blockwise.Block(j, h, mask);
            logits = blockwise.Head(h, mask);
        }
        else logits = model.Logits(x, mask);
        return logits.argmax(1).eq(y).sum().item<long>();
    }

    // A handle of its own (detach: same storage, new handle), so that disposing it never disposes a tensor the
    // model returned as is (an identity embedding returns the input batch itself).
    private static Tensor Keep(Func<Tensor> compute)
    {
        using var scope = torch.NewDisposeScope();
        return compute().detach().DetachFromDisposeScope();
    }

    private void DisposeHidden()
    {
        if (hidden != null) foreach (var h in hidden) h.Dispose();
        hidden = null;
        hiddenBlock = -1;
    }

    public void Dispose()
    {
        DisposeHidden();
        foreach (var (x, mask, y) in batches)
        {
            x.Dispose();
            mask?.Dispose();
            y.Dispose();
        }
        batches.Clear();
    }
}
