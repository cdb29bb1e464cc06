using System.CommandLine;
using PartialLoRA.Backbones;

namespace PartialLoRA.Cli.Commands;

/// <summary><c>partial-lora pretrain text</c>: DeBERTa-v3 masked-language-model pretraining on GLUE training text (see <see cref="TextPretrainOptions"/>).</summary>
public static class PretrainTextCommand
{
    public static Command Create()
    {
        var d = new TextPretrainOptions();
        var data = DataCommand.CreateDataOption();
        var work = PretrainCommand.WorkOption("text");
        var backbones = PretrainCommand.BackbonesOption();
        var name = new Option<string>("--name") { Description = "Backbone folder/manifest name.", DefaultValueFactory = _ => TextPublisher.DefaultName };
        var epochs = new Option<int>("--epochs") { Description = "Epochs over the packed training rows.", DefaultValueFactory = _ => d.Schedule.Epochs };
        var batch = new Option<int>("--batch-size") { Description = "Rows per batch.", DefaultValueFactory = _ => d.Schedule.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate.", DefaultValueFactory = _ => d.Schedule.LearningRate };
        var wd = new Option<double>("--weight-decay") { Description = "AdamW weight decay.", DefaultValueFactory = _ => d.Schedule.WeightDecay };
        var warmup = new Option<double>("--warmup-epochs") { Description = "Linear warm-up, in epochs.", DefaultValueFactory = _ => d.Schedule.WarmupEpochs };
        var width = new Option<int>("--width") { Description = "Encoder width.", DefaultValueFactory = _ => d.Width };
        var layers = new Option<int>("--layers") { Description = "Encoder layers.", DefaultValueFactory = _ => d.Layers };
        var heads = new Option<int>("--heads") { Description = "Attention heads.", DefaultValueFactory = _ => d.Heads };
        var inter = new Option<int>("--intermediate-size") { Description = "Feed-forward width.", DefaultValueFactory = _ => d.IntermediateSize };
        var maxLen = new Option<int>("--max-length") { Description = "Ids per packed row.", DefaultValueFactory = _ => d.MaxLength };
        var seed = new Option<long>("--seed") { Description = "Seed of initialisation, hold-out, packing, order, masking and dropout.", DefaultValueFactory = _ => d.Schedule.Seed };
        var precision = PretrainCommand.PrecisionOption();
        var every = new Option<int>("--checkpoint-every") { Description = "Write the restart state every N steps (and at each epoch end).", DefaultValueFactory = _ => d.Schedule.CheckpointEverySteps };
        var sst2 = new Option<bool>("--skip-sst2") { Description = "Publish without the SST-2 LoRA comparison (pretrained vs random-init encoder)." };
        var stopAfter = PretrainCommand.StopAfterEpochOption();
        var keepEpochs = PretrainCommand.KeepEpochsOption();
        var restart = PretrainCommand.RestartOption();
        var noPublish = PretrainCommand.NoPublishOption();

        var cmd = new Command("text", "Pretrain the DeBERTa-v3 encoder (lab size, WordPiece) by masked-language modelling on GLUE training sentences, then publish it as fp16 with its held-out masked-token accuracy and an SST-2 LoRA comparison against a random-init encoder.");
        foreach (var o in new Option[] { data, work, backbones, name, epochs, batch, lr, wd, warmup, width, layers, heads, inter, maxLen, seed, precision, every, stopAfter, keepEpochs, sst2, restart, noPublish })
            cmd.Options.Add(o);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            CliApp.StartRuntime(parse);
            var o = d with
            {
                Width = parse.GetValue(width),
                Layers = parse.GetValue(layers),
                Heads = parse.GetValue(heads),
                IntermediateSize = parse.GetValue(inter),
                MaxLength = parse.GetValue(maxLen),
                Schedule = d.Schedule with
                {
                    Epochs = parse.GetValue(epochs),
                    BatchSize = parse.GetValue(batch),
                    LearningRate = parse.GetValue(lr),
                    WeightDecay = parse.GetValue(wd),
                    WarmupEpochs = parse.GetValue(warmup),
                    Seed = parse.GetValue(seed),
                    Bf16 = PretrainCommand.ParseBf16(parse.GetValue(precision)!),
                    CheckpointEverySteps = parse.GetValue(every),
                },
            };
            o.Validate();
            var workDir = parse.GetValue(work)!;
            PretrainCommand.PrepareWork(workDir, parse.GetValue(restart));
            var root = PretrainCommand.Root(parse, data);
            using var sets = TextPretrainData.Load(o, root);
            var (model, run) = TextPretrainer.Train(o, sets, workDir, Console.Out, parse.GetValue(stopAfter), parse.GetValue(keepEpochs));
            using (model)
            {
                if (!parse.GetValue(noPublish))
                    TextPublisher.Publish(model, sets, o, run, root, parse.GetValue(backbones)!, parse.GetValue(name)!, !parse.GetValue(sst2),
                        RunRecord.CommandLine(), Console.Out);
            }
            return 0;
        }));
        return cmd;
    }
}
