using System.Text.Json.Nodes;
using PartialLoRA.Models;
using PartialLoRA.Models.Deberta;

namespace PartialLoRA.Backbones;

/// <summary>
/// The lab text backbone: DeBERTa-v3's encoder (HF <c>DebertaV2ForMaskedLM</c> code: disentangled attention with
/// log-bucketed relative positions, no absolute positions, tied MLM decoder) at lab size, with BERT's uncased
/// WordPiece vocabulary (30,522 tokens, <c>bert-vocab/vocab.txt</c>; the project trains no SentencePiece model),
/// pretrained by masked-language modelling on the unlabelled sentences of the GLUE training files
/// (<see cref="MlmCorpus"/>). Defaults are the committed backbone's.
/// </summary>
public sealed record TextPretrainOptions
{
    /// <summary>The registry preset whose config is used (sizes below override it).</summary>
    public string Preset { get; init; } = "deberta-v3-lab-small";
    public int Width { get; init; } = 256;
    public int Layers { get; init; } = 4;
    public int Heads { get; init; } = 4;
    public int IntermediateSize { get; init; } = 1024;
    public int MaxLength { get; init; } = 128;
    public double MaskProbability { get; init; } = 0.15;
    public double HeldOutFraction { get; init; } = 0.02;

    /// <summary>Seed of the data layer's QNLI dev split whose training part is used (downstream QNLI runs with this split seed never see their test half).</summary>
    public ulong QnliSplitSeed { get; init; }

    /// <summary>A published text backbone to start from (a warm restart) instead of a random initialisation; null: random.</summary>
    public PretrainInit? Init { get; init; }

    /// <summary>Vocabulary file, relative to the data root.</summary>
    public string Vocabulary { get; init; } = Path.Combine("bert-vocab", "vocab.txt");

    public PretrainSchedule Schedule { get; init; } = new()
    {
        Epochs = 12,
        BatchSize = 32,
        LearningRate = 5e-4,
        WeightDecay = 0.01,
        WarmupEpochs = 0.5,
        MinLearningRateFactor = 0.01,
        Bf16 = true,
    };

    public DebertaV2Config Config()
    {
        var c = ModelRegistry.Preset(Preset).Config as DebertaV2Config
                ?? throw new ArgumentException($"text pretraining: preset '{Preset}' is not a DeBERTa model");
        return c with
        {
            HiddenSize = Width,
            NumHiddenLayers = Layers,
            NumAttentionHeads = Heads,
            IntermediateSize = IntermediateSize,
            MaxPositionEmbeddings = Math.Max(c.MaxPositionEmbeddings, MaxLength),
        };
    }

    public void Validate()
    {
        Schedule.Validate("text pretraining");
        var c = Config();
        c.Validate("text pretraining");
        if (c.VocabSize != ModelRegistry.WordPieceVocabSize)
            throw new ArgumentException($"text pretraining: preset '{Preset}' has vocab_size {c.VocabSize}; the WordPiece vocabulary has {ModelRegistry.WordPieceVocabSize}");
        if (MaxLength is < 8) throw new ArgumentException($"text pretraining: max_length = {MaxLength}: must be ≥ 8");
        if (MaskProbability is <= 0 or >= 1) throw new ArgumentException($"text pretraining: mask_probability = {MaskProbability}: must be in (0, 1)");
        if (HeldOutFraction is <= 0 or >= 1) throw new ArgumentException($"text pretraining: held_out_fraction = {HeldOutFraction}: must be in (0, 1)");
        Init?.CheckSameHoldOut("text", Schedule.Seed, ("held_out_fraction", HeldOutFraction), ("qnli_split_seed", QnliSplitSeed));
    }

    public JsonObject ToJson()
    {
        var c = Config();
        return PretrainInit.Record(new JsonObject
        {
            ["model"] = new JsonObject
            {
                ["architecture"] = "DeBERTa-v3 encoder (HF DebertaV2ForMaskedLM, legacy cls.predictions head tied to the word embeddings)",
                ["preset"] = Preset,
                ["width"] = Width,
                ["layers"] = Layers,
                ["heads"] = Heads,
                ["intermediate_size"] = IntermediateSize,
                ["max_position_embeddings"] = c.MaxPositionEmbeddings,
                ["position_buckets"] = c.PositionBuckets,
                ["vocab_size"] = c.VocabSize,
            },
            ["tokenizer"] = "BERT uncased WordPiece, " + Vocabulary.Replace('\\', '/'),
            ["max_length"] = MaxLength,
            ["masking"] = new JsonObject { ["probability"] = MaskProbability, ["mask_random_keep"] = new JsonArray(0.8, 0.1, 0.1) },
            ["held_out_fraction"] = HeldOutFraction,
            ["qnli_split_seed"] = QnliSplitSeed,
            ["schedule"] = Schedule.ToJson(),
        }, Init);
    }
}
