using System.CommandLine;
using PartialLoRA.Backbones;

namespace PartialLoRA.Cli.Commands;

/// <summary><c>partial-lora pretrain vision</c>: supervised CLIP-ViT pretraining on CIFAR-10 (see <see cref="VisionPretrainOptions"/>).</summary>
public static class PretrainVisionCommand
{
    public static Command Create()
    {
        var d = new VisionPretrainOptions();
        var shared = new PretrainRunOptions("vision", VisionPublisher.DefaultName, d.Schedule, (d.Width, d.Layers, d.Heads),
            ("Epochs.", "Batch size.", "Transformer width.", "Seed of initialisation, hold-out, data order and augmentation."));
        var mlp = new Option<double>("--mlp-ratio") { Description = "MLP width / transformer width.", DefaultValueFactory = _ => d.MlpRatio };
        var patch = new Option<int>("--patch-size") { Description = "Patch size (32 must be a multiple).", DefaultValueFactory = _ => d.PatchSize };
        var proj = new Option<int>("--projection-dim") { Description = "visual_projection output size.", DefaultValueFactory = _ => d.ProjectionDim };

        var cmd = new Command("vision", "Pretrain the CLIP vision transformer (lab size) supervised on CIFAR-10 train, then publish it as fp16 with its measured test and linear-probe accuracy.");
        shared.AddTo(cmd, [mlp, patch, proj], []);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            CliApp.StartRuntime(parse);
            var o = d with
            {
                Width = parse.GetValue(shared.Width),
                Layers = parse.GetValue(shared.Layers),
                Heads = parse.GetValue(shared.Heads),
                MlpRatio = parse.GetValue(mlp),
                PatchSize = parse.GetValue(patch),
                ProjectionDim = parse.GetValue(proj),
                Schedule = shared.Schedule(parse, d.Schedule),
                Init = shared.Init(parse),
            };
            o.Validate();
            var workDir = shared.PrepareWork(parse);
            using var sets = VisionPretrainData.Load(o, PretrainCommand.Root(parse, shared.Data));
            var (model, run) = VisionPretrainer.Train(o, sets, workDir, Console.Out, parse.GetValue(shared.StopAfterEpoch), parse.GetValue(shared.KeepEpochs));
            using (model)
            {
                if (!parse.GetValue(shared.NoPublish))
                    VisionPublisher.Publish(model, sets, o, run, parse.GetValue(shared.Backbones)!, parse.GetValue(shared.Name)!, RunRecord.CommandLine(), Console.Out);
            }
            return 0;
        }));
        return cmd;
    }
}
