using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Sparsity;

/// <summary>
/// D_t of Algorithm 1: the few labelled samples (m shots per class) on which the pretrained model's accuracy μ is
/// measured and the gradient importance measures are computed. Inputs are images (N,3,H,W float) or token ids
/// (N,T int64 with an (N,T) attention mask); labels are int64 class indices (N). The set does not own the tensors.
/// </summary>
public sealed record FewShotSet
{
    public FewShotSet(Tensor inputs, Tensor labels, Tensor? attentionMask = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        if (inputs.dim() == 0 || inputs.shape[0] == 0)
            throw new ArgumentException("the few-shot set is empty: inputs have no samples (Algorithm 1 needs labelled samples to measure μ)");
        var n = inputs.shape[0];
        if (labels.dim() != 1 || labels.shape[0] != n)
            throw new ArgumentException($"few-shot labels: expected shape ({n}) to match the {n} inputs, got ({string.Join(",", labels.shape)})");
        if (labels.dtype != ScalarType.Int64)
            throw new ArgumentException($"few-shot labels: expected int64 class indices, got {labels.dtype}");
        if (attentionMask is not null && (attentionMask.dim() < 1 || attentionMask.shape[0] != n))
            throw new ArgumentException($"few-shot attention mask: expected {n} rows to match the inputs, got shape ({string.Join(",", attentionMask.shape)})");
        Inputs = inputs;
        Labels = labels;
        AttentionMask = attentionMask;
    }

    public Tensor Inputs { get; }
    public Tensor Labels { get; }
    public Tensor? AttentionMask { get; }

    public int Count => (int)Inputs.shape[0];

    /// <summary>Throws unless every label is a class of a model with <paramref name="numClasses"/> outputs.</summary>
    public void CheckLabels(int numClasses)
    {
        using var scope = torch.NewDisposeScope();
        var min = Labels.min().item<long>();
        var max = Labels.max().item<long>();
        if (min < 0 || max >= numClasses)
            throw new ArgumentException($"few-shot labels: expected classes in [0, {numClasses}), got labels in [{min}, {max}]");
    }

    /// <summary>
    /// Draws D_t from a labelled pool: <paramref name="shots"/> samples of every class present in
    /// <paramref name="labels"/> (classes in ascending order, samples in pool order within a class), chosen by
    /// <paramref name="seed"/>. Different seeds give the different shot draws of App. E. Returns the pool indices.
    /// </summary>
    public static long[] SampleIndices(Tensor labels, int shots, long seed)
    {
        if (shots <= 0) throw new ArgumentOutOfRangeException(nameof(shots), shots, "shots per class must be at least 1");
        if (labels.dim() != 1 || labels.dtype != ScalarType.Int64)
            throw new ArgumentException($"pool labels: expected a 1-D int64 tensor, got {labels.dtype} of shape ({string.Join(",", labels.shape)})");
        if (labels.shape[0] == 0) throw new ArgumentException("pool labels: the pool is empty");
        long[] all;
        using (var cpu = labels.cpu()) all = cpu.data<long>().ToArray();
        var rng = new Random(unchecked((int)(seed ^ (seed >> 32))));
        var picked = new List<long>();
        foreach (var cls in all.Distinct().Order())
        {
            var members = Enumerable.Range(0, all.Length).Where(i => all[i] == cls).ToArray();
            if (members.Length < shots)
                throw new ArgumentException($"pool labels: class {cls} has {members.Length} samples, fewer than the {shots} shots asked for");
            rng.Shuffle(members);
            picked.AddRange(members.Take(shots).Order().Select(i => (long)i));
        }
        return picked.ToArray();
    }

    /// <summary><see cref="SampleIndices"/> applied to a pool; the returned set owns new tensors (dispose them with the caller's scope).</summary>
    public static FewShotSet Sample(Tensor inputs, Tensor labels, int shots, long seed, Tensor? attentionMask = null)
    {
        if (inputs.dim() == 0 || inputs.shape[0] != labels.shape[0])
            throw new ArgumentException($"pool: {inputs.shape.FirstOrDefault()} inputs but {labels.shape.FirstOrDefault()} labels");
        using var index = torch.tensor(SampleIndices(labels, shots, seed), device: inputs.device);
        return new FewShotSet(inputs.index_select(0, index), labels.index_select(0, index.to(labels.device)),
            attentionMask?.index_select(0, index.to(attentionMask.device)));
    }
}
