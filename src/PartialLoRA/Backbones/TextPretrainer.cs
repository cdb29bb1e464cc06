using System.Text.Json.Nodes;
using PartialLoRA.Data.FewShot;
using PartialLoRA.Models.Deberta;
using PartialLoRA.Runtime;
using PartialLoRA.Text;
using PartialLoRA.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Backbones;

/// <summary>The text of a pretraining run: the corpus, its tokenizer, and both parts packed into rows.</summary>
public sealed class TextPretrainData : IDisposable
{
    public required BertWordPieceTokenizer Tokenizer { get; init; }
    public required string VocabularyPath { get; init; }
    public required MlmCorpus Corpus { get; init; }
    public required PackedSequences Train { get; init; }
    public required PackedSequences HeldOut { get; init; }
    public required string Description { get; init; }

    public static TextPretrainData Load(TextPretrainOptions o, string dataRoot)
    {
        var vocab = Path.Combine(dataRoot, o.Vocabulary);
        if (!File.Exists(vocab))
            throw new FileNotFoundException($"{vocab}: the WordPiece vocabulary is missing (bert-base-uncased's vocab.txt, 30,522 lines; put it at {o.Vocabulary} under the data root)", vocab);
        var tokenizer = BertWordPieceTokenizer.FromVocab(vocab);
        var corpus = MlmCorpus.Load(dataRoot, o.HeldOutFraction, (ulong)o.Schedule.Seed, o.QnliSplitSeed);
        var train = PackedSequences.Pack(corpus.Train, tokenizer, o.MaxLength, (ulong)o.Schedule.Seed, "train");
        var held = PackedSequences.Pack(corpus.HeldOut, tokenizer, o.MaxLength, (ulong)o.Schedule.Seed, "held-out");
        return new TextPretrainData
        {
            Tokenizer = tokenizer,
            VocabularyPath = vocab,
            Corpus = corpus,
            Train = train,
            HeldOut = held,
            Description = $"GLUE training-file sentences, no labels ({corpus.Description}); packed into rows of ≤ {o.MaxLength} WordPiece ids: " +
                          $"train {train.Rows} rows / {train.Tokens:N0} ids, held-out {held.Rows} rows / {held.Tokens:N0} ids; data root {dataRoot}",
        };
    }

    public void Dispose()
    {
        Train.Dispose();
        HeldOut.Dispose();
    }
}

/// <summary>Masked-token accuracy and loss over a set of rows.</summary>
public sealed record MlmScore(double Accuracy, double Loss, long Targets);

/// <summary>
/// Pretrains the lab text backbone (<see cref="TextPretrainOptions"/>) by masked-language modelling, restartably
/// (<see cref="PretrainLoop"/>; masks are drawn anew every step — dynamic masking — from a generator keyed by the
/// step). The MLM head runs only on the selected positions. Each epoch ends with the held-out masked-token accuracy.
/// </summary>
public static class TextPretrainer
{
    public const string Kind = "text";

    public static (DebertaV2ForMaskedLM Model, PretrainRunInfo Run) Train(TextPretrainOptions o, TextPretrainData data, string workDir, TextWriter log,
        int? stopAfterEpoch = null, int keepEpochs = PretrainLoop.DefaultKeepEpochSnapshots)
    {
        o.Validate();
        var device = TorchRuntime.Device;
        var s = o.Schedule;
        var model = new DebertaV2ForMaskedLM(o.Config(), s.Seed);
        o.Init?.LoadInto(model, Kind, log);
        model.to(device);
        int n = data.Train.Rows, stepsPerEpoch = n / s.BatchSize;
        using var loop = new PretrainLoop(Kind, o.ToJson(), s, model, stepsPerEpoch, workDir, log, "tok", (long)s.BatchSize * o.MaxLength, stopAfterEpoch, keepEpochs, o.Init?.StreamTag);
        log.WriteLine($"{Kind}: {data.Description}");
        log.WriteLine($"{Kind}: {VisionPretrainer.ModelSize(model)}; {loop.TotalSteps} steps of {s.BatchSize} rows ({s.Epochs} epochs), device {device}, {torch.get_num_threads()} threads");
        if (CpuBf16.Warning(device, s.Bf16) is { } warning) log.WriteLine($"{Kind}: {warning}");
        var specials = BertSpecialIds.Of(data.Tokenizer);

        int[]? order = null;
        int orderEpoch = -1;
        Tensor StepLoss(int epoch, int batch, int step)
        {
            if (orderEpoch != epoch)
            {
                order = loop.Stream("order", epoch.ToString()).Permutation(n);
                orderEpoch = epoch;
            }
            var rows = torch.tensor(order.AsSpan(batch * s.BatchSize, s.BatchSize).ToArray().Select(i => (long)i).ToArray());
            var ids = data.Train.Ids.index_select(0, rows).to(device);
            var mask = data.Train.AttentionMask.index_select(0, rows).to(device);
            using var g = new Generator((ulong)loop.StepSeed("mask", step), device);
            var m = MlmMasking.Apply(ids, mask, specials, data.Tokenizer.VocabSize, o.MaskProbability, g);
            Tensor logits;
            using (s.Bf16 ? new Autocast(device) : null) logits = SelectedLogits(model, m.Inputs, mask, m.Selected);
            return nn.functional.cross_entropy(logits.to(ScalarType.Float32), m.Targets);
        }

        JsonObject EndOfEpoch(int epoch)
        {
            var score = Evaluate(model, data.HeldOut, specials, data.Tokenizer.VocabSize, o.MaskProbability, s.Seed, s.Bf16);
            return new JsonObject
            {
                ["held_out_masked_accuracy"] = Math.Round(score.Accuracy, 5),
                ["held_out_mlm_loss"] = Math.Round(score.Loss, 5),
            };
        }

        loop.Run(StepLoss, EndOfEpoch);
        model.eval();
        return (model, new PretrainRunInfo(loop.Step, loop.StepsPerEpoch, loop.Epochs, loop.ElapsedSeconds, loop.History, loop.Resumed, loop.FromSnapshot));
    }

    /// <summary>MLM logits at the selected positions only: (selected count, vocab).</summary>
    public static Tensor SelectedLogits(DebertaV2ForMaskedLM model, Tensor inputs, Tensor attentionMask, Tensor selected)
    {
        using var scope = torch.NewDisposeScope();
        var h = model.deberta.Forward(inputs, attentionMask)[selected];
        var e = model.deberta.embeddings.word_embeddings.weight!;
        var logits = model.cls is not null ? model.cls.predictions.Forward(h, e) : model.lm_predictions!.lm_head.Forward(h, e);
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Masked-token accuracy (top-1 over the vocabulary at every selected position) and mean MLM loss on
    /// the first <paramref name="maxRows"/> (default all) of <paramref name="rows"/>, with a fixed corruption per batch of 64 rows keyed by (seed, batch), in eval mode.
    /// </summary>
    public static MlmScore Evaluate(DebertaV2ForMaskedLM model, PackedSequences rows, BertSpecialIds specials, int vocabSize,
        double maskProbability, long seed, bool bf16 = false, int batchSize = 64, int? maxRows = null)
    {
        var device = TorchRuntime.Device;
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = torch.no_grad();
            long correct = 0, total = 0;
            double lossSum = 0;
            var count = Math.Min(rows.Rows, maxRows ?? rows.Rows);
            for (int start = 0, b = 0; start < count; start += batchSize, b++)
            {
                using var scope = torch.NewDisposeScope();
                var len = Math.Min(batchSize, count - start);
                var ids = rows.Ids.narrow(0, start, len).to(device);
                var mask = rows.AttentionMask.narrow(0, start, len).to(device);
                using var g = new Generator(SplitMix64.Key((ulong)seed, Kind, "held-out-mask", b.ToString()), device);
                var m = MlmMasking.Apply(ids, mask, specials, vocabSize, maskProbability, g);
                Tensor logits;
                using (bf16 ? new Autocast(device) : null) logits = SelectedLogits(model, m.Inputs, mask, m.Selected);
                logits = logits.to(ScalarType.Float32);
                correct += logits.argmax(1).eq(m.Targets).sum().item<long>();
                lossSum += nn.functional.cross_entropy(logits, m.Targets, reduction: nn.Reduction.Sum).item<float>();
                total += m.Targets.shape[0];
            }
            return new MlmScore(total == 0 ? double.NaN : correct / (double)total, total == 0 ? double.NaN : lossSum / total, total);
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}

/// <summary>Publishing the trained text backbone: fp16 HF folder with its tokenizer files, measured quality, manifest entry.</summary>
public static class TextPublisher
{
    public const string DefaultName = "deberta-v3-lab-glue-mlm";

    /// <summary>
    /// Writes the MLM model (encoder + tied MLM head) as fp16 into <c>{backbones}/{name}</c> with the WordPiece
    /// <c>vocab.txt</c> and a <c>tokenizer_config.json</c>, loads it back from there and measures in f32 the held-out
    /// masked-token accuracy; then (unless skipped) the SST-2 LoRA comparison with a random-init encoder.
    /// </summary>
    public static JsonObject Publish(DebertaV2ForMaskedLM model, TextPretrainData data, TextPretrainOptions o, PretrainRunInfo run, string dataRoot,
        string backbonesDir, string name, bool sst2, string command, TextWriter log)
    {
        var folder = Path.Combine(backbonesDir, name);
        BackboneExport.SaveFp16(model, folder);
        AtomicFile.WriteAllBytes(Path.Combine(folder, "vocab.txt"), File.ReadAllBytes(data.VocabularyPath));
        AtomicFile.WriteAllText(Path.Combine(folder, "tokenizer_config.json"),
            "{\n  \"tokenizer_class\": \"BertTokenizer\",\n  \"do_lower_case\": true,\n  \"model_max_length\": " + o.MaxLength + "\n}\n");
        var (loaded, report) = Models.ModelRegistry.LoadMaskedLM(folder);
        using var _ = loaded;
        loaded.to(TorchRuntime.Device);
        log.WriteLine($"{TextPretrainer.Kind}: wrote {folder} ({report.Summary()}); evaluating the fp16 checkpoint in f32");
        var tokenizer = (BertWordPieceTokenizer)TokenizerFolder.Load(folder);
        var specials = BertSpecialIds.Of(tokenizer);
        var held = TextPretrainer.Evaluate(loaded, data.HeldOut, specials, tokenizer.VocabSize, o.MaskProbability, o.Schedule.Seed);
        // as many training rows as there are held-out rows, to show the generalisation gap
        var trainScore = TextPretrainer.Evaluate(loaded, data.Train, specials, tokenizer.VocabSize, o.MaskProbability, o.Schedule.Seed, maxRows: data.HeldOut.Rows);
        log.WriteLine($"{TextPretrainer.Kind}: masked-token accuracy: held-out {held.Accuracy:P2} (loss {held.Loss:F3}, {held.Targets} targets); training rows {trainScore.Accuracy:P2}");
        var quality = new JsonObject
        {
            ["evaluated"] = "the committed fp16 checkpoint loaded into an f32 model, f32 forward",
            ["held_out_masked_token_accuracy"] = Math.Round(held.Accuracy, 5),
            ["held_out_mlm_loss"] = Math.Round(held.Loss, 5),
            ["held_out_targets"] = held.Targets,
            ["held_out_sentences"] = data.Corpus.HeldOut.Count,
            ["train_rows_masked_token_accuracy"] = Math.Round(trainScore.Accuracy, 5),
            ["train_rows_evaluated"] = data.HeldOut.Rows,
            ["masking_for_evaluation"] = "15% of non-special ids (80/10/10), fixed per batch of 64 rows by the seed; accuracy = top-1 over the vocabulary at every selected position",
        };
        if (sst2) quality["sst2_lora"] = Sst2LoraCheck.Run(folder, tokenizer, dataRoot, new Sst2LoraCheck.Budget(Seed: o.Schedule.Seed, Bf16: o.Schedule.Bf16), log);

        var entry = new JsonObject
        {
            ["folder"] = name,
            ["kind"] = "text",
            ["model_type"] = DebertaV2Config.ModelType,
            ["load"] = "LabBackbones.Text(labels) (DebertaV2ForSequenceClassification; pooler/classifier new, head initialised by ClassMeanHead); LabBackbones.Tokenizer(); ModelRegistry.LoadMaskedLM(folder)",
            ["files"] = BackboneManifest.Hashes(folder),
            ["bytes"] = Directory.EnumerateFiles(folder).Sum(f => new FileInfo(f).Length),
            ["dtype"] = "float16",
            ["parameters"] = model.parameters().Sum(p => p.numel()),
        };
        foreach (var (k, v) in RunRecord.Provenance(command, data.Description, run, o.Schedule.Seed)) entry[k] = v?.DeepClone();
        entry["options"] = o.ToJson();
        PretrainInit.RecordChain(entry, o.Init, run);
        entry["quality"] = quality;
        entry["history"] = run.History.DeepClone();
        var manifest = BackboneManifest.Update(backbonesDir, m => m.SetEntry(name, entry));
        log.WriteLine($"{TextPretrainer.Kind}: recorded '{name}' in {manifest.PathName}");
        return entry;
    }
}
