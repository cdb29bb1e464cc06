using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using PartialLoRA.Data;
using PartialLoRA.Models;
using PartialLoRA.Models.Clip;
using PartialLoRA.Models.Deberta;
using PartialLoRA.Models.Llama;
using PartialLoRA.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Experiments.ModelProviders;

/// <summary>
/// A model of the model registry by preset name (<c>clip-vit-b16</c>, <c>deberta-v3-base</c>, <c>llama-2-7b</c>, and
/// the lab sizes). Options: <c>checkpoint</c> — an HF folder with the pretrained weights (an HF <c>clip</c> folder
/// gets the paper's head initialised from CLIP's class prompts; a backbone without a task head gets a seeded head);
/// without it the model is RANDOMLY INITIALISED (run keys say <c>random-init</c>), which is what the lab backbones are
/// until pretrained ones exist; <c>init_seed</c> (0) seeds whatever is initialised; <c>strict</c> (true) refuses
/// checkpoints with missing or unexpected tensors; <c>tokenizer</c> — a folder with the text model's tokenizer
/// (default: the checkpoint folder; the lab text presets use BERT's WordPiece vocabulary in the data root's
/// <c>bert-vocab/vocab.txt</c>). Images are preprocessed with CLIP's 224-pixel preset, or the lab preset at the
/// model's input size.
/// </summary>
public sealed class PresetModel(ModelPreset preset, string? dataRoot) : IModelProvider
{
    private readonly ConcurrentDictionary<string, ITextTokenizer> tokenizers = new();

    public string Name => preset.Name;
    public string Description => preset.Description;

    public JsonObject Normalize(JsonFields o)
    {
        var n = new JsonObject
        {
            ["checkpoint"] = o.OptionalString("checkpoint"),
            ["init_seed"] = o.Long("init_seed", 0),
            ["strict"] = o.Bool("strict", true),
        };
        if (preset.Family != ModelFamily.Clip) n["tokenizer"] = o.OptionalString("tokenizer");
        if (n["checkpoint"] is { } c && !Directory.Exists(c.GetValue<string>()))
            throw o.Error(o.FieldPath("checkpoint"), $"'{c}': no such model folder. {HfModelFolder.HowToSupply(c.GetValue<string>())}");
        o.RejectUnknown();
        return n;
    }

    public string CheckpointSha256(JsonObject options) =>
        options["checkpoint"] is { } c ? CheckpointHash.Of(c.GetValue<string>()) : "random-init";

    public ModelInputs Inputs(ModelSpec spec)
    {
        if (preset.Config is ClipConfig clip)
        {
            var size = clip.Vision.ImageSize;
            return new ModelInputs(InputKind.Image, size == 224 ? "clip" : $"lab{size}");
        }
        var folder = spec.Options["tokenizer"]?.GetValue<string>() ?? spec.CheckpointPath;
        if (folder != null)
        {
            var full = Path.GetFullPath(folder);
            return new ModelInputs(InputKind.Text, Tokenizer: tokenizers.GetOrAdd(full, TokenizerFolder.Load), TokenizerKey: "folder:" + full);
        }
        if (VocabSize != ModelRegistry.WordPieceVocabSize)
            throw new SpecException($"model {Name}: a text model needs its tokenizer; give \"checkpoint\" (an HF folder with the tokenizer files) or \"tokenizer\"");
        var vocab = Path.Combine(DataRoot.Resolve(dataRoot), "bert-vocab", "vocab.txt");
        if (!File.Exists(vocab))
            throw new FileNotFoundException($"model {Name}: the lab text models use BERT's uncased WordPiece vocabulary, expected at {vocab} " +
                                            $"(data root {DataRoot.Describe(dataRoot)}); or give \"tokenizer\": a folder with vocab.txt", vocab);
        return new ModelInputs(InputKind.Text, Tokenizer: tokenizers.GetOrAdd(vocab, v => BertWordPieceTokenizer.FromVocab(v)), TokenizerKey: "bert-wordpiece-uncased:" + vocab);
    }

    private int VocabSize => preset.Config switch
    {
        DebertaV2Config d => d.VocabSize,
        LlamaConfig l => l.VocabSize,
        _ => 0,
    };

    public ModelHandle Build(ModelSpec spec, TrainingTask task, Device device)
    {
        var seed = JsonFields.GetLong(spec.Options, "init_seed");
        var labels = task.ClassNames;
        IBlockwiseClassifier model;
        if (spec.CheckpointPath is not { } folder) model = ModelRegistry.BuildClassifier(Name, labels, seed);
        else if (HfModelFolder.ModelType(HfModelFolder.ReadConfig(folder)) == ClipConfig.ModelType)
        {
            var prompts = task.Prompts ?? throw new InvalidOperationException(
                $"model {Name} from {folder}: the paper's CLIP head is initialised from CLIP's class names and templates, and none were found for dataset {task.Name} (the data root's clip/ folder)");
            model = ModelRegistry.LoadClipClassifier(folder, prompts.Classes, prompts.Templates, ClipTokenizerFor(folder), spec.Options["strict"]!.GetValue<bool>()).Model;
        }
        else model = ModelRegistry.LoadClassifier(folder, labels, spec.Options["strict"]!.GetValue<bool>(), seed).Model;
        if (Family(model) != preset.Family)
        {
            model.Module.Dispose();
            throw new InvalidOperationException($"model {Name}: {spec.CheckpointPath} holds a {Family(model)} model, not {preset.Family}");
        }
        if (model.NumClasses != labels.Count)
            throw new InvalidOperationException($"model {Name}: the checkpoint's head has {model.NumClasses} classes, dataset {task.Name} has {labels.Count}");
        model.Module.to(device);
        var family = preset.Family;
        return new ModelHandle(model, Name, HeadModules(family),
            method => ModelRegistry.TargetModules(family, method.Contains("adalora", StringComparison.Ordinal) ? "adalora" : "lora"));
    }

    /// <summary>The task head as named_modules paths: trained by every method, alone by linear probing.</summary>
    public static IReadOnlyList<string> HeadModules(ModelFamily family) => family switch
    {
        ModelFamily.Clip => ["classifier"],
        ModelFamily.Deberta => ["pooler", "classifier"],
        ModelFamily.Llama => ["score"],
        _ => throw new ArgumentOutOfRangeException(nameof(family)),
    };

    private static ModelFamily Family(IBlockwiseClassifier m) => m switch
    {
        ClipVisionClassifier => ModelFamily.Clip,
        DebertaV2ForSequenceClassification => ModelFamily.Deberta,
        LlamaForSequenceClassification => ModelFamily.Llama,
        _ => throw new InvalidOperationException($"unexpected classifier {m.GetType().Name}"),
    };

    // CLIP's BPE: the checkpoint's own files, else OpenAI's vocabulary in the data root.
    private ClipTokenizer ClipTokenizerFor(string folder)
    {
        if (File.Exists(Path.Combine(folder, "vocab.json")) && File.Exists(Path.Combine(folder, "merges.txt")))
            return ClipTokenizer.FromHfFiles(Path.Combine(folder, "vocab.json"), Path.Combine(folder, "merges.txt"));
        var bpe = Path.Combine(DataRoot.Resolve(dataRoot), "clip", "bpe_simple_vocab_16e6.txt.gz");
        if (!File.Exists(bpe))
            throw new FileNotFoundException($"CLIP tokenizer: neither {folder}/vocab.json + merges.txt nor {bpe} exists", bpe);
        return ClipTokenizer.FromOpenAiVocabulary(bpe);
    }
}
