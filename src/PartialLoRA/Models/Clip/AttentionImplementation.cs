namespace PartialLoRA.Models.Clip;

/// <summary>
/// How <see cref="ClipAttention"/> computes softmax(QKᵀ/√d + mask)V (HF's <c>attn_implementation</c>). Both give the
/// same function up to rounding; the module layout and parameter names do not depend on it.
/// </summary>
public enum AttentionImplementation
{
    /// <summary>
    /// libtorch's fused <c>scaled_dot_product_attention</c> (flash / memory-efficient kernels on CUDA, a fused
    /// kernel on CPU): the (T×T) scores are never materialised for backward. HF's default.
    /// </summary>
    Sdpa,

    /// <summary>HF's "eager" path written out: matmul, scale, mask, softmax in float32, dropout, matmul.</summary>
    Eager,
}
