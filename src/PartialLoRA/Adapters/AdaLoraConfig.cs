using PartialLoRA.Adapters.Masks;

namespace PartialLoRA.Adapters;

/// <summary>
/// AdaLoRA (Zhang et al. 2023, PEFT's <c>AdaLoraConfig</c>): ΔW = P·Λ·Q in SVD form (PEFT: lora_B·(lora_A ⊙ lora_E)),
/// with the rank budget shrinking from <see cref="InitR"/> to <see cref="TargetR"/> per module on a cubic schedule,
/// triplets ranked by EMA-smoothed sensitivity × uncertainty, and an orthogonality regulariser on P and Q.
/// With <see cref="Masks"/> it is Partial-AdaLoRA (§5).
/// </summary>
public sealed record AdaLoraConfig : AdapterConfig
{
    /// <summary>Initial rank of every module (PEFT's <c>init_r</c>).</summary>
    public int InitR { get; init; } = 12;

    /// <summary>Average target rank per module (PEFT's <c>target_r</c>); the final budget is TargetR × modules.</summary>
    public int TargetR { get; init; } = 8;

    /// <summary>α (PEFT's <c>lora_alpha</c>); ΔW is scaled by α / (InitR + 1e-5).</summary>
    public double Alpha { get; init; } = 8;

    public double Dropout { get; init; }

    /// <summary>Steps of warm-up before the budget starts to shrink (t_init).</summary>
    public int TInit { get; init; }

    /// <summary>Final steps at the target budget with the rank pattern frozen (t_final).</summary>
    public int TFinal { get; init; }

    /// <summary>Steps between two allocations (ΔT).</summary>
    public int DeltaT { get; init; } = 1;

    /// <summary>EMA factor of the sensitivity (β1).</summary>
    public double Beta1 { get; init; } = 0.85;

    /// <summary>EMA factor of the uncertainty (β2).</summary>
    public double Beta2 { get; init; } = 0.85;

    /// <summary>Weight of the orthogonality regulariser ‖PᵀP − I‖_F + ‖QQᵀ − I‖_F.</summary>
    public double OrthRegWeight { get; init; } = 0.5;

    /// <summary>Total training steps T (required by the schedule).</summary>
    public required int TotalStep { get; init; }

    /// <summary>Eq. 6 masks (Partial-AdaLoRA), or null. Element masks are not supported here.</summary>
    public RowColMaskSpec? Masks { get; init; }

    public MaskStorage Storage { get; init; } = MaskStorage.Compact;

    /// <summary>
    /// PEFT's <c>rank_pattern</c> by module path (true = triplet kept, InitR entries each): set when loading a saved
    /// AdaLoRA adapter, whose factors hold only the kept triplets.
    /// </summary>
    public IReadOnlyDictionary<string, bool[]>? RankPattern { get; init; }

    public override string PeftType => "ADALORA";

    public override void Validate()
    {
        base.Validate();
        CheckRank("AdaLoraConfig.InitR", InitR);
        CheckRank("AdaLoraConfig.TargetR", TargetR);
        if (TargetR > InitR) throw new ArgumentException($"AdaLoraConfig.TargetR: {TargetR} exceeds InitR {InitR}");
        CheckProbability("AdaLoraConfig.Dropout", Dropout);
        if (TotalStep <= 0) throw new ArgumentException($"AdaLoraConfig.TotalStep: must be positive, got {TotalStep}");
        if (TInit < 0 || TFinal < 0) throw new ArgumentException($"AdaLoraConfig: TInit ({TInit}) and TFinal ({TFinal}) must be ≥ 0");
        if (TInit >= TotalStep - TFinal)
            throw new ArgumentException($"AdaLoraConfig: TInit ({TInit}) must be < TotalStep − TFinal ({TotalStep} − {TFinal}) to leave a budgeting phase");
        if (DeltaT < 1) throw new ArgumentException($"AdaLoraConfig.DeltaT: must be ≥ 1, got {DeltaT}");
        if (!(Beta1 > 0 && Beta1 < 1)) throw new ArgumentException($"AdaLoraConfig.Beta1: must lie in (0, 1), got {Beta1}");
        if (!(Beta2 > 0 && Beta2 < 1)) throw new ArgumentException($"AdaLoraConfig.Beta2: must lie in (0, 1), got {Beta2}");
        if (!(OrthRegWeight >= 0)) throw new ArgumentException($"AdaLoraConfig.OrthRegWeight: must be ≥ 0, got {OrthRegWeight}");
        if (!double.IsFinite(Alpha)) throw new ArgumentException($"AdaLoraConfig.Alpha: must be finite, got {Alpha}");
    }
}
