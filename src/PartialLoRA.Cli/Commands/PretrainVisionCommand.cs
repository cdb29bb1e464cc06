using System.CommandLine;
using PartialLoRA.Backbones;

namespace PartialLoRA.Cli.Commands;

/// <summary><c>partial-lora pretrain vision</c>: supervised CLIP-ViT pretraining on CIFAR-10 (see <see cref="VisionPretrainOptions"/>).</summary>
public static class PretrainVisionCommand
{
    public static Command Create()
    {
        var d = new VisionPretrainOptions();
        var data = DataCommand.CreateDataOption();
        var work = PretrainCommand.WorkOption("vision");
        var backbones = PretrainCommand.BackbonesOption();
        var name = new Option<string>("--name") { Description = "Backbone folder/manifest name.", DefaultValueFactory = _ => VisionPublisher.DefaultName };
        var epochs = new Option<int>("--epochs") { Description = "Epochs.", DefaultValueFactory = _ => d.Schedule.Epochs };
        var batch = new Option<int>("--batch-size") { Description = "Batch size.", DefaultValueFactory = _ => d.Schedule.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate.", DefaultValueFactory = _ => d.Schedule.LearningRate };
        var wd = new Option<double>("--weight-decay") { Description = "AdamW weight decay.", DefaultValueFactory = _ => d.Schedule.WeightDecay };
        var warmup = new Option<double>("--warmup-epochs") { Description = "Linear warm-up, in epochs.", DefaultValueFactory = _ => d.Schedule.WarmupEpochs };
        var width = new Option<int>("--width") { Description = "Transformer width.", DefaultValueFactory = _ => d.Width };
        var layers = new Option<int>("--layers") { Description = "Encoder layers.", DefaultValueFactory = _ => d.Layers };
        var heads = new Option<int>("--heads") { Description = "Attention heads.", DefaultValueFactory = _ => d.Heads };
        var mlp = new Option<double>("--mlp-ratio") { Description = "MLP width / transformer width.", DefaultValueFactory = _ => d.MlpRatio };
        var patch = new Option<int>("--patch-size") { Description = "Patch size (32 must be a multiple).", DefaultValueFactory = _ => d.PatchSize };
        var proj = new Option<int>("--projection-dim") { Description = "visual_projection output size.", DefaultValueFactory = _ => d.ProjectionDim };
        var seed = new Option<long>("--seed") { Description = "Seed of initialisation, hold-out, data order and augmentation.", DefaultValueFactory = _ => d.Schedule.Seed };
        var precision = PretrainCommand.PrecisionOption();
        var every = new Option<int>("--checkpoint-every") { Description = "Write the restart state every N steps (and at each epoch end).", DefaultValueFactory = _ => d.Schedule.CheckpointEverySteps };
        var stopAfter = PretrainCommand.StopAfterEpochOption();
        var keepEpochs = PretrainCommand.KeepEpochsOption();
        var restart = PretrainCommand.RestartOption();
        var noPublish = PretrainCommand.NoPublishOption();

        var cmd = new Command("vision", "Pretrain the CLIP vision transformer (lab size) supervised on CIFAR-10 train, then publish it as fp16 with its measured test and linear-probe accuracy.");
        foreach (var o in new Option[] { data, work, backbones, name, epochs, batch, lr, wd, warmup, width, layers, heads, mlp, patch, proj, seed, precision, every, stopAfter, keepEpochs, restart, noPublish })
            cmd.Options.Add(o);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            CliApp.StartRuntime(parse);
            var o = d with
            {
                Width = parse.GetValue(width),
                Layers = parse.GetValue(layers),
                Heads = parse.GetValue(heads),
                MlpRatio = parse.GetValue(mlp),
                PatchSize = parse.GetValue(patch),
                ProjectionDim = parse.GetValue(proj),
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
            using var sets = VisionPretrainData.Load(o, PretrainCommand.Root(parse, data));
            var (model, run) = VisionPretrainer.Train(o, sets, workDir, Console.Out, parse.GetValue(stopAfter), parse.GetValue(keepEpochs));
            using (model)
            {
                if (!parse.GetValue(noPublish))
                    VisionPublisher.Publish(model, sets, o, run, parse.GetValue(backbones)!, parse.GetValue(name)!, RunRecord.CommandLine(), Console.Out);
            }
            return 0;
        }));
        return cmd;
    }
}
