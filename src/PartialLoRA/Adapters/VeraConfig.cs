namespace PartialLoRA.Adapters;

/// <summary>
/// VeRA (Kopiczko et al. 2024, PEFT's <c>VeraConfig</c>): one frozen random pair A (r × max n), B (max m × r)
/// shared by all targeted layers, drawn from <see cref="ProjectionPrngKey"/> with PEFT's seeded kaiming-uniform;
/// each layer trains only the scaling vectors d (r) and b (m): ΔW = Λ_b B[:m] Λ_d A[:, :n].
/// </summary>
public sealed record VeraConfig : AdapterConfig
{
    public int R { get; init; } = 256;

    /// <summary>Seed of the shared projections (PEFT's <c>projection_prng_key</c>).</summary>
    public long ProjectionPrngKey { get; init; }

    /// <summary>Save A and B in the adapter file (PEFT's <c>save_projection</c>); otherwise they are regenerated from the key.</summary>
    public bool SaveProjection { get; init; } = true;

    public double Dropout { get; init; }

    /// <summary>Initial value of every entry of d (PEFT's <c>d_initial</c>); b starts at zero.</summary>
    public double DInitial { get; init; } = 0.1;

    public override string PeftType => "VERA";

    public override void Validate()
    {
        base.Validate();
        CheckRank("VeraConfig.R", R);
        CheckProbability("VeraConfig.Dropout", Dropout);
        if (!double.IsFinite(DInitial)) throw new ArgumentException($"VeraConfig.DInitial: must be finite, got {DInitial}");
    }
}
