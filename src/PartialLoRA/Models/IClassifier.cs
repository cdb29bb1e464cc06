using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Models;

/// <summary>
/// A model with a classification head, as the trainer, Algorithm 1 and the importance measures see it.
/// Inputs are images (N,3,H,W float) or token ids (N,T int64, with an (N,T) attention mask of 1/0).
/// </summary>
public interface IClassifier
{
    /// <summary>The torch module: parameters, named_modules (HF-compatible paths), train/eval, to(device).</summary>
    nn.Module Module { get; }

    int NumClasses { get; }

    /// <summary>Logits (N, NumClasses).</summary>
    Tensor Logits(Tensor inputs, Tensor? attentionMask = null);
}

/// <summary>
/// A classifier whose forward pass is embed → block 0 … block B-1 → head. Algorithm 1 uses this to cache the
/// hidden state entering the block that holds the layer being masked, and re-runs only the blocks after it.
/// Contract: <c>Head(Block(B-1, … Block(0, Embed(x)) …)) == Logits(x)</c>.
/// </summary>
public interface IBlockwiseClassifier : IClassifier
{
    int BlockCount { get; }

    /// <summary>The hidden state entering block 0.</summary>
    Tensor Embed(Tensor inputs, Tensor? attentionMask = null);

    Tensor Block(int index, Tensor hidden, Tensor? attentionMask = null);

    /// <summary>Logits from the hidden state leaving the last block.</summary>
    Tensor Head(Tensor hidden, Tensor? attentionMask = null);

    /// <summary>The block that contains the module at <paramref name="modulePath"/> (a named_modules path), or null when it is outside the blocks.</summary>
    int? BlockIndexOf(string modulePath);
}
