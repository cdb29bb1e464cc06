namespace PartialLoRA.Reproduction;

/// <summary>
/// The notebooks' profiles as the library sees them: <c>smoke</c> (CPU, about a minute per notebook, lab backbones,
/// one seed, test subsets), <c>lab</c> (§5's full protocol on the lab backbones: 4 seeds × 5 learning rates, top-5
/// mean; a GPU's work), <c>paper</c> (the paper's models and data, supplied by the user).
/// </summary>
public enum ReproductionProfile { Smoke, Lab, Paper }

public static class ReproductionProfiles
{
    public static ReproductionProfile Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "smoke" => ReproductionProfile.Smoke,
        "lab" => ReproductionProfile.Lab,
        "paper" => ReproductionProfile.Paper,
        _ => throw new ArgumentException($"profile '{name}': expected smoke, lab or paper"),
    };
}
