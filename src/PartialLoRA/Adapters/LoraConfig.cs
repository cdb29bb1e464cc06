using PartialLoRA.Adapters.Masks;

namespace PartialLoRA.Adapters;

/// <summary>How A (and for <see cref="Random"/> also B) start. B starts at zero otherwise, so ΔW = 0 at step 0.</summary>
public enum LoraInit
{
    /// <summary>PEFT's default (<c>init_lora_weights=True</c>): A ~ kaiming_uniform(a=√5) = U(−1/√n, 1/√n), B = 0.</summary>
    Default,

    /// <summary>PEFT's <c>"gaussian"</c>: A ~ N(0, 1/r), B = 0.</summary>
    Gaussian,

    /// <summary>PEFT's <c>init_lora_weights=False</c>: A and B both as nn.Linear's default (ΔW ≠ 0; for tests).</summary>
    Random,
}

/// <summary>Where the masked adapter's factors live (row/column masks only).</summary>
public enum MaskStorage
{
    /// <summary>
    /// B (m×r) and A (r×n) in full; the masks multiply them (Eq. 6 as written). Masked entries are zero and get
    /// exactly zero gradients.
    /// </summary>
    Dense,

    /// <summary>
    /// Only B_active (|rows|×r) and A_active (r×|cols|) exist: the input's active features are gathered and the
    /// output scattered into the active rows. Same function and gradients; parameters, optimizer state and saved
    /// adapters shrink with the sparsity.
    /// </summary>
    Compact,
}

/// <summary>
/// LoRA (Eq. 1–2, PEFT's <c>LoraConfig</c>): ΔW = (α/r)·B·A on each targeted Linear, optionally DoRA
/// (<see cref="UseDora"/>) or masked per Eq. 6 (<see cref="Masks"/>: Partial-, Targeted-, Inverted-, sampled or
/// element-masked LoRA).
/// </summary>
public sealed record LoraConfig : AdapterConfig
{
    /// <summary>Rank r (PEFT's <c>r</c>).</summary>
    public int R { get; init; } = 8;

    /// <summary>α (PEFT's <c>lora_alpha</c>); scaling = α/r, or α/√r with <see cref="UseRsLora"/>.</summary>
    public double Alpha { get; init; } = 8;

    /// <summary>Dropout on the adapter's input (PEFT's <c>lora_dropout</c>).</summary>
    public double Dropout { get; init; }

    public LoraInit Init { get; init; } = LoraInit.Default;

    public bool UseRsLora { get; init; }

    /// <summary>DoRA (Liu et al. 2024): W' = m · (W + ΔW)/‖W + ΔW‖_row with a trainable magnitude m.</summary>
    public bool UseDora { get; init; }

    /// <summary>The Eq. 6 masks, or null for plain LoRA.</summary>
    public MaskSpec? Masks { get; init; }

    /// <summary>Storage of row/column-masked factors; element masks are always dense.</summary>
    public MaskStorage Storage { get; init; } = MaskStorage.Compact;

    public override string PeftType => "LORA";

    public double Scaling => UseRsLora ? Alpha / Math.Sqrt(R) : Alpha / R;

    public override void Validate()
    {
        base.Validate();
        CheckRank("LoraConfig.R", R);
        CheckProbability("LoraConfig.Dropout", Dropout);
        if (!double.IsFinite(Alpha)) throw new ArgumentException($"LoraConfig.Alpha: must be finite, got {Alpha}");
        if (UseDora && Masks != null) throw new ArgumentException("LoraConfig: DoRA with masks is not supported; set UseDora = false or Masks = null");
        if (Masks is ElementMaskSpec && Storage == MaskStorage.Compact)
            throw new ArgumentException($"LoraConfig.Storage: element masks ({Masks.Kind}) have no compact form; use MaskStorage.Dense");
    }
}
