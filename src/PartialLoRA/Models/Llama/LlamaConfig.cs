using System.Text.Json.Nodes;

namespace PartialLoRA.Models.Llama;

/// <summary>
/// HF <c>LlamaConfig</c>. RoPE's base is read from <c>rope_theta</c> (transformers 4.x) or
/// <c>rope_parameters.rope_theta</c> (5.x); the rope types supported are <c>default</c> and <c>linear</c>
/// (positions divided by <c>factor</c>). Defaults are HF's; <see cref="Llama2_7B"/> is meta-llama/Llama-2-7b-hf.
/// </summary>
public sealed record LlamaConfig
{
    public const string ModelType = "llama";

    public int VocabSize { get; init; } = 32000;
    public int HiddenSize { get; init; } = 4096;
    public int IntermediateSize { get; init; } = 11008;
    public int NumHiddenLayers { get; init; } = 32;
    public int NumAttentionHeads { get; init; } = 32;
    public int? NumKeyValueHeadsField { get; init; }
    public int? HeadDimField { get; init; }
    public string HiddenAct { get; init; } = "silu";
    public int MaxPositionEmbeddings { get; init; } = 2048;
    public double InitializerRange { get; init; } = 0.02;
    public double RmsNormEps { get; init; } = 1e-6;
    public int? PadTokenId { get; init; }
    public int BosTokenId { get; init; } = 1;
    public int EosTokenId { get; init; } = 2;
    public double RopeTheta { get; init; } = 10000.0;
    public string RopeType { get; init; } = "default";
    public double RopeFactor { get; init; } = 1.0;
    public bool AttentionBias { get; init; }
    public double AttentionDropout { get; init; }
    public bool MlpBias { get; init; }
    public bool TieWordEmbeddings { get; init; }
    public IReadOnlyList<string> Labels { get; init; } = ["LABEL_0", "LABEL_1"];

    public int NumKeyValueHeads => NumKeyValueHeadsField ?? NumAttentionHeads;
    public int HeadDim => HeadDimField ?? HiddenSize / NumAttentionHeads;
    public int NumLabels => Labels.Count;

    /// <summary>meta-llama/Llama-2-7b-hf.</summary>
    public static LlamaConfig Llama2_7B => new()
    {
        VocabSize = 32000,
        HiddenSize = 4096,
        IntermediateSize = 11008,
        NumHiddenLayers = 32,
        NumAttentionHeads = 32,
        NumKeyValueHeadsField = 32,
        MaxPositionEmbeddings = 4096,
        RmsNormEps = 1e-5,
        RopeTheta = 10000.0,
    };

    public void Validate(string source)
    {
        HfConfigJson.RequirePositive(source, "vocab_size", VocabSize);
        HfConfigJson.RequirePositive(source, "hidden_size", HiddenSize);
        HfConfigJson.RequirePositive(source, "intermediate_size", IntermediateSize);
        HfConfigJson.RequirePositive(source, "num_hidden_layers", NumHiddenLayers);
        HfConfigJson.RequirePositive(source, "num_attention_heads", NumAttentionHeads);
        HfConfigJson.RequirePositive(source, "num_key_value_heads", NumKeyValueHeads);
        HfConfigJson.RequireMultiple(source, "num_attention_heads", NumAttentionHeads, "num_key_value_heads", NumKeyValueHeads);
        if (HeadDimField is null)
            HfConfigJson.RequireMultiple(source, "hidden_size", HiddenSize, "num_attention_heads", NumAttentionHeads);
        if (HeadDim % 2 != 0) throw new InvalidDataException($"{source}: head_dim ({HeadDim}) must be even for rotary embeddings");
        if (RopeType is not ("default" or "linear"))
            throw new InvalidDataException($"{source}: rope type '{RopeType}' is not supported (supported: default, linear)");
        if (RopeFactor <= 0) throw new InvalidDataException($"{source}: rope factor must be positive, got {RopeFactor}");
        if (NumLabels < 1) throw new InvalidDataException($"{source}: need at least one label");
        Activations.Validate(HiddenAct, $"{source}: field 'hidden_act'");
    }

    public static LlamaConfig FromJson(HfConfigJson j)
    {
        var d = new LlamaConfig();
        var rope = j.ObjectOrNull("rope_parameters") ?? j.ObjectOrNull("rope_scaling");
        var ropeType = rope?.StringOrNull("rope_type") ?? rope?.StringOrNull("type") ?? d.RopeType;
        var labels = j.Id2LabelOrNull()
                     ?? (j.IntOrNull("num_labels") is { } n ? Enumerable.Range(0, n).Select(i => $"LABEL_{i}").ToList() : d.Labels);
        var c = new LlamaConfig
        {
            VocabSize = j.Int("vocab_size", d.VocabSize),
            HiddenSize = j.Int("hidden_size", d.HiddenSize),
            IntermediateSize = j.Int("intermediate_size", d.IntermediateSize),
            NumHiddenLayers = j.Int("num_hidden_layers", d.NumHiddenLayers),
            NumAttentionHeads = j.Int("num_attention_heads", d.NumAttentionHeads),
            NumKeyValueHeadsField = j.IntOrNull("num_key_value_heads"),
            HeadDimField = j.IntOrNull("head_dim"),
            HiddenAct = j.String("hidden_act", d.HiddenAct),
            MaxPositionEmbeddings = j.Int("max_position_embeddings", d.MaxPositionEmbeddings),
            InitializerRange = j.Double("initializer_range", d.InitializerRange),
            RmsNormEps = j.Double("rms_norm_eps", d.RmsNormEps),
            PadTokenId = j.IntOrNull("pad_token_id"),
            BosTokenId = j.Int("bos_token_id", d.BosTokenId),
            EosTokenId = j.Int("eos_token_id", d.EosTokenId),
            RopeTheta = rope?.DoubleOrNull("rope_theta") ?? j.Double("rope_theta", d.RopeTheta),
            RopeType = ropeType,
            RopeFactor = ropeType == "default" ? 1.0 : rope?.Double("factor", 1.0) ?? 1.0,
            AttentionBias = j.Bool("attention_bias", d.AttentionBias),
            AttentionDropout = j.Double("attention_dropout", d.AttentionDropout),
            MlpBias = j.Bool("mlp_bias", d.MlpBias),
            TieWordEmbeddings = j.Bool("tie_word_embeddings", d.TieWordEmbeddings),
            Labels = labels,
        };
        c.Validate(j.Source);
        return c;
    }

    public JsonObject ToJson(string? architecture = null)
    {
        var o = new JsonObject { ["model_type"] = ModelType };
        if (architecture is not null) o["architectures"] = new JsonArray(architecture);
        o["vocab_size"] = VocabSize;
        o["hidden_size"] = HiddenSize;
        o["intermediate_size"] = IntermediateSize;
        o["num_hidden_layers"] = NumHiddenLayers;
        o["num_attention_heads"] = NumAttentionHeads;
        o["num_key_value_heads"] = NumKeyValueHeads;
        o["head_dim"] = HeadDim;
        o["hidden_act"] = HiddenAct;
        o["max_position_embeddings"] = MaxPositionEmbeddings;
        o["initializer_range"] = InitializerRange;
        o["rms_norm_eps"] = RmsNormEps;
        o["pad_token_id"] = PadTokenId;
        o["bos_token_id"] = BosTokenId;
        o["eos_token_id"] = EosTokenId;
        o["rope_theta"] = RopeTheta;
        o["rope_scaling"] = RopeType == "default" ? null : new JsonObject { ["rope_type"] = RopeType, ["factor"] = RopeFactor };
        o["attention_bias"] = AttentionBias;
        o["attention_dropout"] = AttentionDropout;
        o["mlp_bias"] = MlpBias;
        o["tie_word_embeddings"] = TieWordEmbeddings;
        o["id2label"] = HfConfigWriter.Id2Label(Labels);
        o["label2id"] = HfConfigWriter.Label2Id(Labels);
        return o;
    }
}
