namespace PartialLoRA.Reproduction;

/// <summary>
/// How much of a paper element a notebook reproduces: <c>Smoke</c> (CPU, lab backbones, one seed, few epochs, test
/// subsets: minutes), <c>Lab</c> (§5's full protocol on the lab backbones: 4 seeds × 5 learning rates, top-5 mean;
/// for a GPU), <c>Paper</c> (the paper's models and data, supplied by the user).
/// </summary>
public enum ReproductionProfile
{
    Smoke,
    Lab,
    Paper,
}

public static class ReproductionProfiles
{
    /// <summary>Parses <c>smoke</c>, <c>lab</c> or <c>paper</c> (the notebook executor's profile names).</summary>
    public static ReproductionProfile Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "smoke" => ReproductionProfile.Smoke,
        "lab" => ReproductionProfile.Lab,
        "paper" => ReproductionProfile.Paper,
        _ => throw new ArgumentException($"profile '{name}': expected smoke, lab or paper", nameof(name)),
    };
}
