namespace PartialLoRA.Adapters.Serialization;

/// <summary>File and tensor names of a saved adapter (HF PEFT's layout, plus the mask tensors of this library).</summary>
public static class AdapterKeys
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";

    /// <summary>Prefix of every per-module key: <c>base_model.model.&lt;module path&gt;.&lt;tensor&gt;</c>.</summary>
    public const string ModelPrefix = "base_model.model.";

    /// <summary>VeRA's shared projections (PEFT keys, adapter name removed).</summary>
    public const string VeraA = "base_model.vera_A";
    public const string VeraB = "base_model.vera_B";

    /// <summary>u_row of Eq. 6: BOOL, length m.</summary>
    public const string RowMask = "u_row";

    /// <summary>u_col of Eq. 6: BOOL, length n.</summary>
    public const string ColMask = "u_col";

    /// <summary>M_A: BOOL, r×n.</summary>
    public const string MaskA = "mask_A";

    /// <summary>M_B: BOOL, m×r.</summary>
    public const string MaskB = "mask_B";

    /// <summary>Random masking's flat positions: I64, length k.</summary>
    public const string MaskingPositions = "masking_positions";

    public static string Module(string modulePath, string tensor) => ModelPrefix + modulePath + "." + tensor;
}
