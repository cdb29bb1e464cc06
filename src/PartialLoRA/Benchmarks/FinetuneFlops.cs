using PartialLoRA.Models.Clip;

namespace PartialLoRA.Benchmarks;

/// <summary>One adapted Linear: n = in_features, m = out_features, r = the rank the GEMMs run at.</summary>
public sealed record AdaptedLinear(int In, int Out, int Rank);

/// <summary>What a step computes: a training step with adapters on a frozen base, full fine-tuning, or evaluation.</summary>
public enum StepKind { Adapters, Full, Eval }

/// <summary>
/// Model FLOPs of one step of the CLIP vision classifier (tower → visual_projection → classifier), counted
/// analytically as 2 FLOPs per multiply-add of every matrix product (element-wise work — norms, activations,
/// softmax, the optimizer — is not counted, as usual for MFU). Per image, with T = patches + 1 tokens, width D,
/// MLP width F, L layers, C·p² pixels per patch, projection P, K classes:
/// <list type="bullet">
/// <item>patch embedding 2·(T−1)·Cp²·D; per layer q,k,v,out 4·2TD², fc1 + fc2 2·2TDF, attention QKᵀ and PV 4T²D;
/// visual_projection 2DP and classifier 2PK on the class token;</item>
/// <item>an adapter on an n→m Linear at rank r: 2T·r·(n + m) forward (LoRA, Partial-LoRA — compact factors run
/// expanded, so at the same rank —, DoRA, AdaLoRA at its initial rank, VeRA at its shared rank).</item>
/// </list>
/// A training step is forward + backward. Backward of a product costs one forward for the input gradient (dX) and
/// one for the weight gradient (dW); attention backward costs twice its forward (dQ, dK from the scores, dP, dV).
/// Full fine-tuning: dX of everything but the patch embedding (pixels need no gradient), dW of every weight.
/// Adapters: dX of every base product except layer 0's q, k, v (their input — embeddings after LayerNorm — needs
/// no gradient), dW only of the classifier; adapters cost 3× their forward. Evaluation: the forward of the base
/// model. Batch-independent work (DoRA's weight norm, 2mnr + 3mn per layer per step) is not counted.
/// </summary>
public sealed record FinetuneFlops(ClipVisionConfig Vision, int ProjectionDim, int Classes)
{
    public int Tokens => Vision.NumPositions;

    /// <summary>Patch embedding (a Conv2d with kernel = stride = patch) per image.</summary>
    public double PatchEmbedding => 2.0 * Vision.NumPatches * Vision.NumChannels * Vision.PatchSize * Vision.PatchSize * Vision.HiddenSize;

    /// <summary>q, k, v, out_proj, fc1, fc2 of one layer per image.</summary>
    public double LayerLinears => 2.0 * Tokens * (4.0 * Vision.HiddenSize * Vision.HiddenSize + 2.0 * Vision.HiddenSize * Vision.IntermediateSize);

    /// <summary>q, k, v of one layer per image (layer 0's need no input gradient when only adapters train).</summary>
    public double LayerQkv => 2.0 * Tokens * 3.0 * Vision.HiddenSize * Vision.HiddenSize;

    /// <summary>QKᵀ and PV of one layer per image, all heads.</summary>
    public double LayerAttention => 4.0 * Tokens * Tokens * Vision.HiddenSize;

    /// <summary>visual_projection and classifier on the class token, per image.</summary>
    public double Head => 2.0 * Vision.HiddenSize * ProjectionDim + 2.0 * ProjectionDim * Classes;

    /// <summary>The base model's forward per image.</summary>
    public double BaseForward => PatchEmbedding + Vision.NumHiddenLayers * (LayerLinears + LayerAttention) + Head;

    /// <summary>Adapters' forward per image.</summary>
    public double AdapterForward(IEnumerable<AdaptedLinear> adapters) => adapters.Sum(a => 2.0 * Tokens * a.Rank * ((double)a.In + a.Out));

    /// <summary>Model FLOPs of one step over <paramref name="batch"/> images.</summary>
    public double PerStep(StepKind kind, int batch, IReadOnlyList<AdaptedLinear>? adapters = null)
    {
        var layers = Vision.NumHiddenLayers;
        var encoderLinears = layers * LayerLinears;
        var attention = layers * LayerAttention;
        var classifier = 2.0 * ProjectionDim * Classes;
        double perImage = kind switch
        {
            StepKind.Eval => BaseForward,
            StepKind.Full => BaseForward
                             + (encoderLinears + Head)                    // dX (not the patch embedding's)
                             + (PatchEmbedding + encoderLinears + Head)   // dW
                             + 2 * attention,
            StepKind.Adapters => BaseForward
                                 + (encoderLinears - LayerQkv + Head)     // dX
                                 + classifier                             // dW of the trained head
                                 + 2 * attention
                                 + 3 * AdapterForward(adapters ?? throw new ArgumentException("adapter FLOPs need the adapted layers")),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        return perImage * batch;
    }
}
