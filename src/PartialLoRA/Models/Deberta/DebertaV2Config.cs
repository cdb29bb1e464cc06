using System.Text.Json.Nodes;

namespace PartialLoRA.Models.Deberta;

/// <summary>
/// HF <c>DebertaV2Config</c> (model_type <c>deberta-v2</c>, used by DeBERTa-v2 and -v3), including the fields HF
/// reads with getattr: <c>position_buckets</c>, <c>share_att_key</c>, <c>norm_rel_ebd</c>, <c>embedding_size</c>,
/// <c>conv_kernel_size</c>, <c>attention_head_size</c>, <c>pooler_hidden_size</c>, <c>cls_dropout</c>.
/// Defaults are HF's; <see cref="V3Base"/> is microsoft/deberta-v3-base.
/// </summary>
public sealed record DebertaV2Config
{
    public const string ModelType = "deberta-v2";

    public int VocabSize { get; init; } = 128100;
    public int HiddenSize { get; init; } = 1536;
    public int NumHiddenLayers { get; init; } = 24;
    public int NumAttentionHeads { get; init; } = 24;
    public int IntermediateSize { get; init; } = 6144;
    public string HiddenAct { get; init; } = "gelu";
    public double HiddenDropoutProb { get; init; } = 0.1;
    public double AttentionProbsDropoutProb { get; init; } = 0.1;
    public int MaxPositionEmbeddings { get; init; } = 512;
    public int TypeVocabSize { get; init; }
    public double InitializerRange { get; init; } = 0.02;
    public double LayerNormEps { get; init; } = 1e-7;
    public bool RelativeAttention { get; init; }
    public int MaxRelativePositions { get; init; } = -1;
    public int PadTokenId { get; init; }
    public bool PositionBiasedInput { get; init; } = true;

    /// <summary>Disentangled attention terms: "c2p" (content→position), "p2c" (position→content).</summary>
    public IReadOnlyList<string> PosAttType { get; init; } = [];

    public double PoolerDropout { get; init; }
    public string PoolerHiddenAct { get; init; } = "gelu";
    public int? PoolerHiddenSizeField { get; init; }
    public double? ClsDropout { get; init; }

    /// <summary>&gt; 0: relative positions are log-bucketed into this many buckets each side (DeBERTa-v3: 256).</summary>
    public int PositionBuckets { get; init; } = -1;
    public bool ShareAttKey { get; init; }
    public IReadOnlyList<string> NormRelEbd { get; init; } = ["none"];
    public int? EmbeddingSizeField { get; init; }
    public int? AttentionHeadSizeField { get; init; }
    public int ConvKernelSize { get; init; }
    public int ConvGroups { get; init; } = 1;
    public string ConvAct { get; init; } = "tanh";

    /// <summary>HF's <c>legacy</c> flag: true puts the MLM head under <c>cls.predictions</c>, false under <c>lm_predictions.lm_head</c>.</summary>
    public bool Legacy { get; init; } = true;

    public IReadOnlyList<string> Labels { get; init; } = ["LABEL_0", "LABEL_1"];

    public int NumLabels => Labels.Count;
    public int EmbeddingSize => EmbeddingSizeField ?? HiddenSize;
    public int AttentionHeadSize => AttentionHeadSizeField ?? HiddenSize / NumAttentionHeads;
    public int AllHeadSize => NumAttentionHeads * AttentionHeadSize;
    public int PoolerHiddenSize => PoolerHiddenSizeField ?? HiddenSize;

    /// <summary>HF's max_relative_positions after defaulting (&lt; 1 → max_position_embeddings).</summary>
    public int EffectiveMaxRelativePositions => MaxRelativePositions < 1 ? MaxPositionEmbeddings : MaxRelativePositions;

    /// <summary>The attention span k: rel_embeddings has 2k rows.</summary>
    public int PosEbdSize => PositionBuckets > 0 ? PositionBuckets : EffectiveMaxRelativePositions;

    public bool C2P => PosAttType.Contains("c2p");
    public bool P2C => PosAttType.Contains("p2c");

    /// <summary>microsoft/deberta-v3-base: 12 layers, hidden 768, 128K SentencePiece vocabulary, 256 log buckets.</summary>
    public static DebertaV2Config V3Base => new()
    {
        VocabSize = 128100,
        HiddenSize = 768,
        NumHiddenLayers = 12,
        NumAttentionHeads = 12,
        IntermediateSize = 3072,
        MaxPositionEmbeddings = 512,
        RelativeAttention = true,
        PositionBuckets = 256,
        NormRelEbd = ["layer_norm"],
        ShareAttKey = true,
        PosAttType = ["p2c", "c2p"],
        LayerNormEps = 1e-7,
        MaxRelativePositions = -1,
        PositionBiasedInput = false,
        TypeVocabSize = 0,
    };

    public void Validate(string source)
    {
        HfConfigJson.RequirePositive(source, "vocab_size", VocabSize);
        HfConfigJson.RequirePositive(source, "hidden_size", HiddenSize);
        HfConfigJson.RequirePositive(source, "num_hidden_layers", NumHiddenLayers);
        HfConfigJson.RequirePositive(source, "num_attention_heads", NumAttentionHeads);
        HfConfigJson.RequirePositive(source, "intermediate_size", IntermediateSize);
        HfConfigJson.RequirePositive(source, "max_position_embeddings", MaxPositionEmbeddings);
        if (AttentionHeadSizeField is null)
            HfConfigJson.RequireMultiple(source, "hidden_size", HiddenSize, "num_attention_heads", NumAttentionHeads);
        if (PoolerHiddenSize != HiddenSize)
            throw new InvalidDataException($"{source}: pooler_hidden_size ({PoolerHiddenSize}) must equal hidden_size ({HiddenSize}), as HF's classifier assumes");
        foreach (var t in PosAttType)
            if (t is not ("c2p" or "p2c"))
                throw new InvalidDataException($"{source}: field 'pos_att_type' has '{t}'; expected c2p and/or p2c");
        foreach (var t in NormRelEbd)
            if (t is not ("none" or "layer_norm"))
                throw new InvalidDataException($"{source}: field 'norm_rel_ebd' has '{t}'; expected none or layer_norm");
        if (RelativeAttention && PositionBuckets > 0 && PositionBuckets < 2)
            throw new InvalidDataException($"{source}: field 'position_buckets' must be at least 2 when bucketing, got {PositionBuckets}");
        if (NumLabels < 1) throw new InvalidDataException($"{source}: need at least one label");
        Activations.Validate(HiddenAct, $"{source}: field 'hidden_act'");
        Activations.Validate(PoolerHiddenAct, $"{source}: field 'pooler_hidden_act'");
        if (ConvKernelSize > 0) Activations.Validate(ConvAct, $"{source}: field 'conv_act'");
    }

    public static DebertaV2Config FromJson(HfConfigJson j)
    {
        var d = new DebertaV2Config();
        var labels = j.Id2LabelOrNull()
                     ?? (j.IntOrNull("num_labels") is { } n ? Enumerable.Range(0, n).Select(i => $"LABEL_{i}").ToList() : d.Labels);
        var c = new DebertaV2Config
        {
            VocabSize = j.Int("vocab_size", d.VocabSize),
            HiddenSize = j.Int("hidden_size", d.HiddenSize),
            NumHiddenLayers = j.Int("num_hidden_layers", d.NumHiddenLayers),
            NumAttentionHeads = j.Int("num_attention_heads", d.NumAttentionHeads),
            IntermediateSize = j.Int("intermediate_size", d.IntermediateSize),
            HiddenAct = j.String("hidden_act", d.HiddenAct),
            HiddenDropoutProb = j.Double("hidden_dropout_prob", d.HiddenDropoutProb),
            AttentionProbsDropoutProb = j.Double("attention_probs_dropout_prob", d.AttentionProbsDropoutProb),
            MaxPositionEmbeddings = j.Int("max_position_embeddings", d.MaxPositionEmbeddings),
            TypeVocabSize = j.Int("type_vocab_size", d.TypeVocabSize),
            InitializerRange = j.Double("initializer_range", d.InitializerRange),
            LayerNormEps = j.Double("layer_norm_eps", d.LayerNormEps),
            RelativeAttention = j.Bool("relative_attention", d.RelativeAttention),
            MaxRelativePositions = j.Int("max_relative_positions", d.MaxRelativePositions),
            PadTokenId = j.Int("pad_token_id", d.PadTokenId),
            PositionBiasedInput = j.Bool("position_biased_input", d.PositionBiasedInput),
            PosAttType = j.StringListOrNull("pos_att_type") ?? d.PosAttType,
            PoolerDropout = j.Double("pooler_dropout", d.PoolerDropout),
            PoolerHiddenAct = j.String("pooler_hidden_act", d.PoolerHiddenAct),
            PoolerHiddenSizeField = j.IntOrNull("pooler_hidden_size"),
            ClsDropout = j.DoubleOrNull("cls_dropout"),
            PositionBuckets = j.Int("position_buckets", d.PositionBuckets),
            ShareAttKey = j.Bool("share_att_key", d.ShareAttKey),
            NormRelEbd = j.StringListOrNull("norm_rel_ebd") ?? d.NormRelEbd,
            EmbeddingSizeField = j.IntOrNull("embedding_size"),
            AttentionHeadSizeField = j.IntOrNull("attention_head_size"),
            ConvKernelSize = j.Int("conv_kernel_size", d.ConvKernelSize),
            ConvGroups = j.Int("conv_groups", d.ConvGroups),
            ConvAct = j.String("conv_act", d.ConvAct),
            Legacy = j.Bool("legacy", d.Legacy),
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
        o["num_hidden_layers"] = NumHiddenLayers;
        o["num_attention_heads"] = NumAttentionHeads;
        o["intermediate_size"] = IntermediateSize;
        o["hidden_act"] = HiddenAct;
        o["hidden_dropout_prob"] = HiddenDropoutProb;
        o["attention_probs_dropout_prob"] = AttentionProbsDropoutProb;
        o["max_position_embeddings"] = MaxPositionEmbeddings;
        o["type_vocab_size"] = TypeVocabSize;
        o["initializer_range"] = InitializerRange;
        o["layer_norm_eps"] = LayerNormEps;
        o["relative_attention"] = RelativeAttention;
        o["max_relative_positions"] = MaxRelativePositions;
        o["pad_token_id"] = PadTokenId;
        o["position_biased_input"] = PositionBiasedInput;
        o["pos_att_type"] = new JsonArray(PosAttType.Select(x => (JsonNode?)x).ToArray());
        o["pooler_dropout"] = PoolerDropout;
        o["pooler_hidden_act"] = PoolerHiddenAct;
        if (PoolerHiddenSizeField is { } phs) o["pooler_hidden_size"] = phs;
        if (ClsDropout is { } cd) o["cls_dropout"] = cd;
        o["position_buckets"] = PositionBuckets;
        o["share_att_key"] = ShareAttKey;
        o["norm_rel_ebd"] = string.Join("|", NormRelEbd);
        if (EmbeddingSizeField is { } es) o["embedding_size"] = es;
        if (AttentionHeadSizeField is { } ahs) o["attention_head_size"] = ahs;
        if (ConvKernelSize > 0)
        {
            o["conv_kernel_size"] = ConvKernelSize;
            o["conv_groups"] = ConvGroups;
            o["conv_act"] = ConvAct;
        }
        o["legacy"] = Legacy;
        o["id2label"] = HfConfigWriter.Id2Label(Labels);
        o["label2id"] = HfConfigWriter.Label2Id(Labels);
        return o;
    }
}
