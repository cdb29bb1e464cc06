namespace PartialLoRA.Importance;

/// <summary>The importance criteria of §4.2.2 that rank the rows and columns of a target weight.</summary>
public enum ImportanceMeasure
{
    /// <summary>Eq. 4–5: ‖W V‖₂ per row with V = QΛ from W = PΛQ; columns from Wᵀ. Needs no data.</summary>
    Svd,

    /// <summary>SNIP (Lee et al., 2019): |∂L/∂W| on D_t, summed over each row / column.</summary>
    Snip,

    /// <summary>IMP (Molchanov et al., 2019): |∂L/∂W ⊙ W| on D_t, summed over each row / column.</summary>
    Imp,
}

/// <summary>App. H: scores of each layer alone (Isolated) or re-weighted by the next layer's (Continuous, flow-preserving).</summary>
public enum FlowMode
{
    Isolated,
    Continuous,
}
