using System.CommandLine;
using PartialLoRA.Backbones;

namespace PartialLoRA.Cli.Commands;

/// <summary><c>partial-lora pretrain text</c>: DeBERTa-v3 masked-language-model pretraining on GLUE training text (see <see cref="TextPretrainOptions"/>).</summary>
public static class PretrainTextCommand
{
    public static Command Create()
    {
        var d = new TextPretrainOptions();
        var shared = new PretrainRunOptions("text", TextPublisher.DefaultName, d.Schedule, (d.Width, d.Layers, d.Heads),
            ("Epochs over the packed training rows.", "Rows per batch.", "Encoder width.", "Seed of initialisation, hold-out, packing, order, masking and dropout."));
        var inter = new Option<int>("--intermediate-size") { Description = "Feed-forward width.", DefaultValueFactory = _ => d.IntermediateSize };
        var maxLen = new Option<int>("--max-length") { Description = "Ids per packed row.", DefaultValueFactory = _ => d.MaxLength };
        var sst2 = new Option<bool>("--skip-sst2") { Description = "Publish without the SST-2 LoRA comparison (pretrained vs random-init encoder)." };

        var cmd = new Command("text", "Pretrain the DeBERTa-v3 encoder (lab size, WordPiece) by masked-language modelling on GLUE training sentences, then publish it as fp16 with its held-out masked-token accuracy and an SST-2 LoRA comparison against a random-init encoder.");
        shared.AddTo(cmd, [inter, maxLen], [sst2]);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            CliApp.StartRuntime(parse);
            var o = d with
            {
                Width = parse.GetValue(shared.Width),
                Layers = parse.GetValue(shared.Layers),
                Heads = parse.GetValue(shared.Heads),
                IntermediateSize = parse.GetValue(inter),
                MaxLength = parse.GetValue(maxLen),
                Schedule = shared.Schedule(parse, d.Schedule),
                Init = shared.Init(parse),
            };
            o.Validate();
            var workDir = shared.PrepareWork(parse);
            var root = PretrainCommand.Root(parse, shared.Data);
            using var sets = TextPretrainData.Load(o, root);
            var (model, run) = TextPretrainer.Train(o, sets, workDir, Console.Out, parse.GetValue(shared.StopAfterEpoch), parse.GetValue(shared.KeepEpochs));
            using (model)
            {
                if (!parse.GetValue(shared.NoPublish))
                    TextPublisher.Publish(model, sets, o, run, root, parse.GetValue(shared.Backbones)!, parse.GetValue(shared.Name)!, !parse.GetValue(sst2),
                        RunRecord.CommandLine(), Console.Out);
            }
            return 0;
        }));
        return cmd;
    }
}
