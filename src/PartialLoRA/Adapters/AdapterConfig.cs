namespace PartialLoRA.Adapters;

/// <summary>
/// What every adapter method shares (PEFT's <c>PeftConfig</c> + the tuner's target selection): which Linear modules
/// to wrap, which to leave alone, which extra modules to train and save whole (e.g. a classification head), and the
/// seed from which every random initial value and mask is derived (per module, see <c>LayerSeeds</c>).
/// </summary>
public abstract record AdapterConfig
{
    public required TargetModules TargetModules { get; init; }

    /// <summary>Modules never wrapped even when they match <see cref="TargetModules"/> (PEFT's <c>exclude_modules</c>).</summary>
    public TargetModules? ExcludeModules { get; init; }

    /// <summary>
    /// Modules (PEFT name matching, as for targets) whose own parameters stay trainable and are saved in full
    /// (PEFT's <c>modules_to_save</c>), e.g. <c>classifier</c>.
    /// </summary>
    public IReadOnlyList<string> ModulesToSave { get; init; } = [];

    /// <summary>Seed for initial values (per module, derived from this and the module path).</summary>
    public long Seed { get; init; }

    /// <summary>PEFT's <c>peft_type</c>.</summary>
    public abstract string PeftType { get; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the field for a configuration that cannot work.</summary>
    public virtual void Validate()
    {
        if (TargetModules == null) throw new ArgumentException($"{GetType().Name}.TargetModules: required");
        foreach (var m in ModulesToSave)
            if (string.IsNullOrWhiteSpace(m)) throw new ArgumentException($"{GetType().Name}.ModulesToSave: a module name is empty");
    }

    protected static void CheckRank(string field, int r)
    {
        if (r <= 0) throw new ArgumentException($"{field}: the rank must be a positive integer, got {r}");
    }

    protected static void CheckProbability(string field, double p, bool allowOne = false)
    {
        if (!(p >= 0 && (allowOne ? p <= 1 : p < 1)))
            throw new ArgumentException($"{field}: must lie in [0, 1{(allowOne ? "]" : ")")}, got {p}");
    }
}
