namespace PartialLoRA.Adapters;

/// <summary>
/// Random element masking (Xu &amp; Zhang 2024; the "Masking" column of Table 1): a sparse trainable ΔW at
/// ⌈density·m·n⌉ positions of each target weight, drawn uniformly without replacement per module from the seed
/// and fixed for the whole run. No PEFT equivalent: saved under <c>peft_type = "RANDOM_MASKING"</c>.
/// </summary>
public sealed record MaskingConfig : AdapterConfig
{
    /// <summary>Fraction of each weight's entries that are trainable, in (0, 1].</summary>
    public required double Density { get; init; }

    public override string PeftType => "RANDOM_MASKING";

    public override void Validate()
    {
        base.Validate();
        if (!(Density > 0 && Density <= 1)) throw new ArgumentException($"MaskingConfig.Density: must lie in (0, 1], got {Density}");
    }
}
