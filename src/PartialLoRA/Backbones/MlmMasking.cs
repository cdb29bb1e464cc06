using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Backbones;

/// <summary>A masked batch: model inputs, which positions are predicted, and their original ids.</summary>
public sealed record MaskedBatch(Tensor Inputs, Tensor Selected, Tensor Targets);

/// <summary>
/// BERT's masked-language-model corruption: each non-special token is selected with probability p (15%); a selected
/// token becomes [MASK] with probability 0.8, a uniformly random vocabulary id with 0.1, and stays itself with 0.1.
/// The loss and the masked-token accuracy are taken over all selected positions. Every draw comes from the given
/// generator, so a batch's corruption is fixed by its seed. A batch with no selected token gets its first candidate
/// selected (the loss needs at least one target).
/// </summary>
public static class MlmMasking
{
    public static MaskedBatch Apply(Tensor ids, Tensor attentionMask, BertSpecialIds specials, int vocabSize, double probability, Generator g)
    {
        if (probability is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(probability), probability, "must be in (0, 1)");
        using var scope = torch.NewDisposeScope();
        var candidates = attentionMask.eq(1) & ids.ne(specials.Cls) & ids.ne(specials.Sep) & ids.ne(specials.Pad);
        var selected = torch.rand(ids.shape, generator: g, device: ids.device).lt(probability) & candidates;
        if (!selected.any().item<bool>())
        {
            var first = candidates.flatten().nonzero();
            if (first.shape[0] == 0) throw new ArgumentException("MLM masking: the batch has no maskable token");
            selected = selected.flatten().index_fill(0, first[0], true).view(ids.shape);
        }
        var roll = torch.rand(ids.shape, generator: g, device: ids.device);
        var random = torch.randint(0, vocabSize, ids.shape, generator: g, dtype: ScalarType.Int64, device: ids.device);
        var inputs = torch.where(selected & roll.lt(0.8), torch.full_like(ids, specials.Mask), ids);
        inputs = torch.where(selected & roll.ge(0.8) & roll.lt(0.9), random, inputs);
        var targets = ids.masked_select(selected);
        return new MaskedBatch(inputs.MoveToOuterDisposeScope(), selected.MoveToOuterDisposeScope(), targets.MoveToOuterDisposeScope());
    }
}

/// <summary>The WordPiece special ids the masking needs.</summary>
public sealed record BertSpecialIds(long Cls, long Sep, long Pad, long Mask)
{
    public static BertSpecialIds Of(Text.BertWordPieceTokenizer t) => new(t.ClsId, t.SepId, t.PadId, t.MaskId);
}
