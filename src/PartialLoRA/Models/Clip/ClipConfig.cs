using System.Text.Json.Nodes;

namespace PartialLoRA.Models.Clip;

/// <summary>What the CLIP text and vision transformers share (HF <c>CLIPTextConfig</c> / <c>CLIPVisionConfig</c> fields).</summary>
public abstract record ClipTowerConfig
{
    public int HiddenSize { get; init; }
    public int IntermediateSize { get; init; }
    public int NumHiddenLayers { get; init; } = 12;
    public int NumAttentionHeads { get; init; }
    public string HiddenAct { get; init; } = "quick_gelu";
    public double LayerNormEps { get; init; } = 1e-5;
    public double AttentionDropout { get; init; }
    public double InitializerRange { get; init; } = 0.02;
    public double InitializerFactor { get; init; } = 1.0;

    /// <summary>HF's <c>attn_implementation</c> (not part of config.json): the attention kernel of new modules.</summary>
    public AttentionImplementation AttnImplementation { get; init; } = AttentionImplementation.Sdpa;

    public int HeadDim => HiddenSize / NumAttentionHeads;

    public virtual void Validate(string source)
    {
        HfConfigJson.RequirePositive(source, "hidden_size", HiddenSize);
        HfConfigJson.RequirePositive(source, "intermediate_size", IntermediateSize);
        HfConfigJson.RequirePositive(source, "num_hidden_layers", NumHiddenLayers);
        HfConfigJson.RequirePositive(source, "num_attention_heads", NumAttentionHeads);
        HfConfigJson.RequireMultiple(source, "hidden_size", HiddenSize, "num_attention_heads", NumAttentionHeads);
        Activations.Validate(HiddenAct, $"{source}: field 'hidden_act'");
    }

    /// <summary>This config (holding the defaults) with the shared fields read from <paramref name="j"/>.</summary>
    protected T ReadShared<T>(HfConfigJson j) where T : ClipTowerConfig => (T)(this with
    {
        HiddenSize = j.Int("hidden_size", HiddenSize),
        IntermediateSize = j.Int("intermediate_size", IntermediateSize),
        NumHiddenLayers = j.Int("num_hidden_layers", NumHiddenLayers),
        NumAttentionHeads = j.Int("num_attention_heads", NumAttentionHeads),
        HiddenAct = j.String("hidden_act", HiddenAct),
        LayerNormEps = j.Double("layer_norm_eps", LayerNormEps),
        AttentionDropout = j.Double("attention_dropout", AttentionDropout),
        InitializerRange = j.Double("initializer_range", InitializerRange),
        InitializerFactor = j.Double("initializer_factor", InitializerFactor),
    });

    protected void WriteShared(JsonObject o)
    {
        o["hidden_size"] = HiddenSize;
        o["intermediate_size"] = IntermediateSize;
        o["num_hidden_layers"] = NumHiddenLayers;
        o["num_attention_heads"] = NumAttentionHeads;
        o["hidden_act"] = HiddenAct;
        o["layer_norm_eps"] = LayerNormEps;
        o["attention_dropout"] = AttentionDropout;
        o["initializer_range"] = InitializerRange;
        o["initializer_factor"] = InitializerFactor;
    }
}

/// <summary>HF <c>CLIPTextConfig</c>; defaults are HF's (the ViT-B/16 text tower).</summary>
public sealed record ClipTextConfig : ClipTowerConfig
{
    public int VocabSize { get; init; } = 49408;
    public int MaxPositionEmbeddings { get; init; } = 77;
    public int PadTokenId { get; init; } = 1;
    public int BosTokenId { get; init; } = 49406;

    /// <summary>
    /// The end-of-text id pooled by the text transformer. Legacy configs (e.g. openai/clip-vit-base-patch16) say 2;
    /// HF then pools at the argmax of the ids (the EOT token has the highest id), otherwise at the first EOT.
    /// </summary>
    public int EosTokenId { get; init; } = 49407;

    public ClipTextConfig()
    {
        HiddenSize = 512;
        IntermediateSize = 2048;
        NumAttentionHeads = 8;
    }

    public override void Validate(string source)
    {
        base.Validate(source);
        HfConfigJson.RequirePositive(source, "vocab_size", VocabSize);
        HfConfigJson.RequirePositive(source, "max_position_embeddings", MaxPositionEmbeddings);
    }

    public static ClipTextConfig FromJson(HfConfigJson j)
    {
        var d = new ClipTextConfig();
        var c = d.ReadShared<ClipTextConfig>(j) with
        {
            VocabSize = j.Int("vocab_size", d.VocabSize),
            MaxPositionEmbeddings = j.Int("max_position_embeddings", d.MaxPositionEmbeddings),
            PadTokenId = j.Int("pad_token_id", d.PadTokenId),
            BosTokenId = j.Int("bos_token_id", d.BosTokenId),
            EosTokenId = j.Int("eos_token_id", d.EosTokenId),
        };
        c.Validate(j.Source);
        return c;
    }

    public JsonObject ToJson()
    {
        var o = new JsonObject { ["model_type"] = "clip_text_model" };
        WriteShared(o);
        o["vocab_size"] = VocabSize;
        o["max_position_embeddings"] = MaxPositionEmbeddings;
        o["pad_token_id"] = PadTokenId;
        o["bos_token_id"] = BosTokenId;
        o["eos_token_id"] = EosTokenId;
        return o;
    }
}

/// <summary>HF <c>CLIPVisionConfig</c>; defaults are HF's (ViT-B/32). <see cref="ClipConfig.VitB16"/> has the paper's ViT-B/16.</summary>
public sealed record ClipVisionConfig : ClipTowerConfig
{
    public int NumChannels { get; init; } = 3;
    public int ImageSize { get; init; } = 224;
    public int PatchSize { get; init; } = 32;

    public ClipVisionConfig()
    {
        HiddenSize = 768;
        IntermediateSize = 3072;
        NumAttentionHeads = 12;
    }

    public int NumPatches => (ImageSize / PatchSize) * (ImageSize / PatchSize);

    /// <summary>Patches plus the class token.</summary>
    public int NumPositions => NumPatches + 1;

    public override void Validate(string source)
    {
        base.Validate(source);
        HfConfigJson.RequirePositive(source, "num_channels", NumChannels);
        HfConfigJson.RequirePositive(source, "patch_size", PatchSize);
        HfConfigJson.RequirePositive(source, "image_size", ImageSize);
        HfConfigJson.RequireMultiple(source, "image_size", ImageSize, "patch_size", PatchSize);
    }

    public static ClipVisionConfig FromJson(HfConfigJson j)
    {
        var d = new ClipVisionConfig();
        var c = d.ReadShared<ClipVisionConfig>(j) with
        {
            NumChannels = j.Int("num_channels", d.NumChannels),
            ImageSize = j.Int("image_size", d.ImageSize),
            PatchSize = j.Int("patch_size", d.PatchSize),
        };
        c.Validate(j.Source);
        return c;
    }

    public JsonObject ToJson()
    {
        var o = new JsonObject { ["model_type"] = "clip_vision_model" };
        WriteShared(o);
        o["num_channels"] = NumChannels;
        o["image_size"] = ImageSize;
        o["patch_size"] = PatchSize;
        return o;
    }
}

/// <summary>HF <c>CLIPConfig</c>: both towers, the shared projection size and the initial logit scale (ln(1/0.07)).</summary>
public sealed record ClipConfig(ClipTextConfig Text, ClipVisionConfig Vision)
{
    public const string ModelType = "clip";

    public int ProjectionDim { get; init; } = 512;
    public double LogitScaleInitValue { get; init; } = 2.6592;

    /// <summary>OpenAI CLIP ViT-B/16 (openai/clip-vit-base-patch16): the paper's vision backbone.</summary>
    public static ClipConfig VitB16 => new(new ClipTextConfig(), new ClipVisionConfig { PatchSize = 16 });

    public void Validate(string source)
    {
        Text.Validate(source + ":text_config");
        Vision.Validate(source + ":vision_config");
        HfConfigJson.RequirePositive(source, "projection_dim", ProjectionDim);
    }

    /// <summary>Reads a <c>clip</c> config.json (nested <c>text_config</c> / <c>vision_config</c>, HF defaults for what is absent).</summary>
    public static ClipConfig FromJson(HfConfigJson j)
    {
        var text = j.ObjectOrNull("text_config") is { } t ? ClipTextConfig.FromJson(t) : new ClipTextConfig();
        var vision = j.ObjectOrNull("vision_config") is { } v ? ClipVisionConfig.FromJson(v) : new ClipVisionConfig();
        var c = new ClipConfig(text, vision)
        {
            ProjectionDim = j.Int("projection_dim", 512),
            LogitScaleInitValue = j.Double("logit_scale_init_value", 2.6592),
        };
        c.Validate(j.Source);
        return c;
    }

    public JsonObject ToJson() => new()
    {
        ["model_type"] = ModelType,
        ["architectures"] = new JsonArray("CLIPModel"),
        ["projection_dim"] = ProjectionDim,
        ["logit_scale_init_value"] = LogitScaleInitValue,
        ["text_config"] = Text.ToJson(),
        ["vision_config"] = Vision.ToJson(),
    };
}
