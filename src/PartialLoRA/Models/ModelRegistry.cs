using PartialLoRA.Models.Clip;
using PartialLoRA.Models.Deberta;
using PartialLoRA.Models.Llama;
using PartialLoRA.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Models;

/// <summary>The architectures this library implements.</summary>
public enum ModelFamily { Clip, Deberta, Llama }

/// <summary>A named configuration: the paper's models at full size, and lab sizes that train on a CPU.</summary>
/// <param name="Config">A <see cref="ClipConfig"/>, <see cref="DebertaV2Config"/> or <see cref="LlamaConfig"/>.</param>
public sealed record ModelPreset(string Name, ModelFamily Family, string Description, object Config);

/// <summary>
/// The engine's entry point to models: presets by name (name → config → build), each family's default adapter
/// target modules (PEFT's defaults), and HF folders (folder → config.json + weights → model, strict by default,
/// lenient by flag). Every build is seeded.
/// </summary>
public static class ModelRegistry
{
    /// <summary>BERT's uncased WordPiece vocabulary size: the lab text models use it (data/bert-vocab/vocab.txt).</summary>
    public const int WordPieceVocabSize = 30522;

    public static readonly IReadOnlyList<ModelPreset> Presets =
    [
        new("clip-vit-b16", ModelFamily.Clip, "OpenAI CLIP ViT-B/16 (openai/clip-vit-base-patch16): the paper's vision backbone, 224px", ClipConfig.VitB16),
        new("clip-vit-lab-tiny", ModelFamily.Clip, "lab CLIP: 32px images, patch 4, width 192, 6 layers, 3 heads", LabClip(192, 6, 3, 128)),
        new("clip-vit-lab-small", ModelFamily.Clip, "lab CLIP: 32px images, patch 4, width 384, 12 layers, 6 heads", LabClip(384, 12, 6, 256)),
        new("deberta-v3-base", ModelFamily.Deberta, "microsoft/deberta-v3-base: the paper's GLUE backbone (12 layers, 768, 128K SentencePiece vocabulary)", DebertaV2Config.V3Base),
        new("deberta-v3-lab-tiny", ModelFamily.Deberta, "lab DeBERTa-v3: WordPiece 30,522, width 128, 2 layers, 2 heads, 128 positions", LabDeberta(128, 2, 2)),
        new("deberta-v3-lab-small", ModelFamily.Deberta, "lab DeBERTa-v3: WordPiece 30,522, width 256, 4 layers, 4 heads, 128 positions", LabDeberta(256, 4, 4)),
        new("llama-2-7b", ModelFamily.Llama, "meta-llama/Llama-2-7b-hf: Table 1's model", LlamaConfig.Llama2_7B),
        new("llama-lab-small", ModelFamily.Llama, "lab LLaMA: WordPiece 30,522, width 256, 4 layers, 4 heads / 2 key-value heads, pad id 0", LabLlama()),
    ];

    private static ClipConfig LabClip(int width, int layers, int heads, int projection) => new(
        new ClipTextConfig { HiddenSize = 256, IntermediateSize = 1024, NumHiddenLayers = 4, NumAttentionHeads = 4 },
        new ClipVisionConfig { ImageSize = 32, PatchSize = 4, HiddenSize = width, IntermediateSize = 4 * width, NumHiddenLayers = layers, NumAttentionHeads = heads })
    {
        ProjectionDim = projection,
    };

    private static DebertaV2Config LabDeberta(int width, int layers, int heads) => DebertaV2Config.V3Base with
    {
        VocabSize = WordPieceVocabSize,
        HiddenSize = width,
        IntermediateSize = 4 * width,
        NumHiddenLayers = layers,
        NumAttentionHeads = heads,
        MaxPositionEmbeddings = 128,
        PositionBuckets = 32,
        PadTokenId = 0,
    };

    private static LlamaConfig LabLlama() => new()
    {
        VocabSize = WordPieceVocabSize,
        HiddenSize = 256,
        IntermediateSize = 688,
        NumHiddenLayers = 4,
        NumAttentionHeads = 4,
        NumKeyValueHeadsField = 2,
        MaxPositionEmbeddings = 256,
        RmsNormEps = 1e-6,
        PadTokenId = 0,
    };

    public static ModelPreset Preset(string name) =>
        Presets.FirstOrDefault(p => p.Name == name)
        ?? throw new ArgumentException($"unknown model preset '{name}'; known: {string.Join(", ", Presets.Select(p => p.Name))}");

    /// <summary>
    /// The modules PEFT targets by default (names matched as the last path components): LoRA q/v projections;
    /// AdaLoRA all attention and feed-forward projections (PEFT's TRANSFORMERS_MODELS_TO_*_TARGET_MODULES_MAPPING;
    /// PEFT has no CLIP entry, so CLIP uses its BART/OPT-style names).
    /// </summary>
    public static IReadOnlyList<string> TargetModules(ModelFamily family, string method = "lora") => (family, method.ToLowerInvariant()) switch
    {
        (ModelFamily.Clip, "adalora") => ["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"],
        (ModelFamily.Clip, _) => ["q_proj", "v_proj"],
        (ModelFamily.Deberta, "adalora") => ["query_proj", "key_proj", "value_proj", "dense"],
        (ModelFamily.Deberta, _) => ["query_proj", "value_proj"],
        (ModelFamily.Llama, _) => ["q_proj", "v_proj"],
        _ => throw new ArgumentOutOfRangeException(nameof(family)),
    };

    public static IReadOnlyList<string> DefaultLabels(int numClasses) =>
        numClasses >= 1 ? Enumerable.Range(0, numClasses).Select(i => $"LABEL_{i}").ToList()
                        : throw new ArgumentOutOfRangeException(nameof(numClasses), "need at least one class");

    /// <summary>A seeded classifier of a preset: CLIP vision classifier, DeBERTa or LLaMA sequence classifier.</summary>
    public static IBlockwiseClassifier BuildClassifier(string preset, IReadOnlyList<string> labels, long seed = 0)
    {
        var p = Preset(preset);
        return p.Config switch
        {
            ClipConfig c => new ClipVisionClassifier(c.Vision, c.ProjectionDim, labels, seed: seed),
            DebertaV2Config c => new DebertaV2ForSequenceClassification(c with { Labels = labels }, seed),
            LlamaConfig c => new LlamaForSequenceClassification(c with { Labels = labels }, seed),
            _ => throw new InvalidOperationException($"preset {preset}: unknown config type"),
        };
    }

    public static IBlockwiseClassifier BuildClassifier(string preset, int numClasses, long seed = 0) =>
        BuildClassifier(preset, DefaultLabels(numClasses), seed);

    /// <summary>A seeded DeBERTa masked-language model (HF DebertaV2ForMaskedLM layout) of a DeBERTa preset.</summary>
    public static DebertaV2ForMaskedLM BuildMaskedLM(string preset, long seed = 0) =>
        Preset(preset).Config is DebertaV2Config c ? new DebertaV2ForMaskedLM(c, seed)
            : throw new ArgumentException($"preset {preset} is not a DeBERTa model; masked-LM needs one of {string.Join(", ", Presets.Where(x => x.Family == ModelFamily.Deberta).Select(x => x.Name))}");

    /// <summary>A seeded full CLIP model (both towers) of a CLIP preset.</summary>
    public static ClipModel BuildClip(string preset, long seed = 0) =>
        Preset(preset).Config is ClipConfig c ? new ClipModel(c, seed)
            : throw new ArgumentException($"preset {preset} is not a CLIP model");

    /// <summary>
    /// A classifier from an HF folder: <c>deberta-v2</c> → DebertaV2ForSequenceClassification, <c>llama</c> →
    /// LlamaForSequenceClassification, <c>clip_vision_classifier</c> → a saved <see cref="ClipVisionClassifier"/>.
    /// A backbone checkpoint (no task head) gets a seeded head with <paramref name="labels"/> (default: the config's).
    /// For an HF <c>clip</c> folder use <see cref="LoadClipClassifier"/>, which initialises the head from prompts.
    /// With <paramref name="dtype"/> (e.g. BFloat16 for LLaMA-2-7B) the model is converted before the weights are read,
    /// so the checkpoint lands in that dtype directly.
    /// </summary>
    public static (IBlockwiseClassifier Model, HfLoadReport Report) LoadClassifier(string folder, IReadOnlyList<string>? labels = null,
        bool strict = true, long seed = 0, ScalarType? dtype = null)
    {
        var cfg = HfModelFolder.ReadConfig(folder);
        IHfModel model = HfModelFolder.ModelType(cfg) switch
        {
            DebertaV2Config.ModelType => new DebertaV2ForSequenceClassification(WithLabels(DebertaV2Config.FromJson(cfg), labels), seed),
            LlamaConfig.ModelType => new LlamaForSequenceClassification(WithLabels(LlamaConfig.FromJson(cfg), labels), seed),
            ClipVisionClassifier.SavedModelType => ClipClassifierFromConfig(cfg, labels, seed),
            ClipConfig.ModelType => throw new ArgumentException(
                $"{cfg.Source}: a CLIP model; the paper's classifier head is initialised from class prompts, load it with LoadClipClassifier(folder, class names, templates, tokenizer)"),
            var t => throw new InvalidDataException($"{cfg.Source}: model_type '{t}' is not supported; expected deberta-v2, llama, clip or {ClipVisionClassifier.SavedModelType}"),
        };
        if (dtype is { } dt) model.Module.to(dt);
        var report = HfModelFolder.LoadWeights(model, folder, strict);
        return ((IBlockwiseClassifier)model, report);
    }

    private static DebertaV2Config WithLabels(DebertaV2Config c, IReadOnlyList<string>? labels) => labels is null ? c : c with { Labels = labels };
    private static LlamaConfig WithLabels(LlamaConfig c, IReadOnlyList<string>? labels) => labels is null ? c : c with { Labels = labels };

    private static ClipVisionClassifier ClipClassifierFromConfig(HfConfigJson cfg, IReadOnlyList<string>? labels, long seed)
    {
        var vision = ClipVisionConfig.FromJson(cfg.ObjectOrNull("vision_config") ?? throw new InvalidDataException($"{cfg.Source}: field 'vision_config' is missing"));
        var projection = cfg.IntOrNull("projection_dim") ?? throw new InvalidDataException($"{cfg.Source}: field 'projection_dim' is missing");
        labels ??= cfg.Id2LabelOrNull() ?? throw new InvalidDataException($"{cfg.Source}: field 'id2label' is missing");
        return new ClipVisionClassifier(vision, projection, labels, cfg.Bool("normalize_features", true), seed);
    }

    /// <summary>A full CLIP model from an HF <c>clip</c> folder (e.g. openai/clip-vit-base-patch16).</summary>
    public static (ClipModel Model, HfLoadReport Report) LoadClip(string folder, bool strict = true)
    {
        var cfg = HfModelFolder.ReadConfig(folder);
        var type = HfModelFolder.ModelType(cfg);
        if (type != ClipConfig.ModelType) throw new InvalidDataException($"{cfg.Source}: model_type is '{type}', expected '{ClipConfig.ModelType}'");
        var model = new ClipModel(ClipConfig.FromJson(cfg));
        return (model, HfModelFolder.LoadWeights(model, folder, strict));
    }

    /// <summary>
    /// The paper's CLIP classifier from an HF <c>clip</c> folder: the vision tower and projection of the checkpoint,
    /// and a head initialised from the class prompts by the text tower (<see cref="ClipZeroShotHead"/>).
    /// </summary>
    public static (ClipVisionClassifier Model, HfLoadReport Report) LoadClipClassifier(string folder, IReadOnlyList<IReadOnlyList<string>> classNames,
        IReadOnlyList<string> templates, ClipTokenizer tokenizer, bool strict = true)
    {
        var (clip, report) = LoadClip(folder, strict);
        using (clip)
            return (ClipZeroShotHead.Build(clip, tokenizer, classNames, templates), report);
    }

    /// <summary>A DeBERTa masked-language model from an HF folder.</summary>
    public static (DebertaV2ForMaskedLM Model, HfLoadReport Report) LoadMaskedLM(string folder, bool strict = true, long seed = 0)
    {
        var cfg = HfModelFolder.ReadConfig(folder);
        var type = HfModelFolder.ModelType(cfg);
        if (type != DebertaV2Config.ModelType) throw new InvalidDataException($"{cfg.Source}: model_type is '{type}', expected '{DebertaV2Config.ModelType}'");
        var model = new DebertaV2ForMaskedLM(DebertaV2Config.FromJson(cfg), seed);
        return (model, HfModelFolder.LoadWeights(model, folder, strict));
    }

    /// <summary>Writes an HF folder (config.json + model.safetensors) for any model of this library.</summary>
    public static void Save(IHfModel model, string folder) => HfModelFolder.Save(model, folder);

    /// <summary>Parameter count of a module (all parameters, trainable or not).</summary>
    public static long ParameterCount(nn.Module module) => module.parameters().Sum(p => p.numel());
}
