using System.CommandLine;
using PartialLoRA.Backbones;

namespace PartialLoRA.Cli.Commands;

/// <summary>
/// The options <c>pretrain vision</c> and <c>pretrain text</c> share: data, work folder, publishing, the encoder's
/// width / layers / heads and the <see cref="PretrainSchedule"/>. Each command adds its own model options after
/// <c>--heads</c> and its own flags before <c>--restart</c>.
/// </summary>
internal sealed class PretrainRunOptions
{
    public readonly Option<string?> Data = DataCommand.CreateDataOption();
    public readonly Option<string> Work;
    public readonly Option<string> Backbones = PretrainCommand.BackbonesOption();
    public readonly Option<string> Name;
    public readonly Option<int> Width, Layers, Heads;
    private readonly Option<int> epochs, batch, every;
    private readonly Option<double> lr, wd, warmup;
    private readonly Option<long> seed;
    private readonly Option<string> precision = PretrainCommand.PrecisionOption();
    public readonly Option<int?> StopAfterEpoch = PretrainCommand.StopAfterEpochOption();
    public readonly Option<int> KeepEpochs = PretrainCommand.KeepEpochsOption();
    public readonly Option<bool> Restart = PretrainCommand.RestartOption();
    public readonly Option<bool> NoPublish = PretrainCommand.NoPublishOption();

    private readonly Option<string?> initFrom = new("--init-from")
    {
        Description = "Start from this published backbone folder (e.g. data/backbones/<name>) instead of a random initialisation: a warm restart " +
                      "with a new optimiser and schedule. It must have been pretrained with the same seed and hold-out.",
    };

    /// <param name="kind">vision or text (the default work folder).</param>
    /// <param name="words">Descriptions of the options whose wording differs per command.</param>
    public PretrainRunOptions(string kind, string defaultName, PretrainSchedule s, (int Width, int Layers, int Heads) encoder,
        (string Epochs, string BatchSize, string Width, string Seed) words)
    {
        Work = PretrainCommand.WorkOption(kind);
        Name = new Option<string>("--name") { Description = "Backbone folder/manifest name.", DefaultValueFactory = _ => defaultName };
        epochs = new Option<int>("--epochs") { Description = words.Epochs, DefaultValueFactory = _ => s.Epochs };
        batch = new Option<int>("--batch-size") { Description = words.BatchSize, DefaultValueFactory = _ => s.BatchSize };
        lr = new Option<double>("--lr") { Description = "Peak learning rate.", DefaultValueFactory = _ => s.LearningRate };
        wd = new Option<double>("--weight-decay") { Description = "AdamW weight decay.", DefaultValueFactory = _ => s.WeightDecay };
        warmup = new Option<double>("--warmup-epochs") { Description = "Linear warm-up, in epochs.", DefaultValueFactory = _ => s.WarmupEpochs };
        Width = new Option<int>("--width") { Description = words.Width, DefaultValueFactory = _ => encoder.Width };
        Layers = new Option<int>("--layers") { Description = "Encoder layers.", DefaultValueFactory = _ => encoder.Layers };
        Heads = new Option<int>("--heads") { Description = "Attention heads.", DefaultValueFactory = _ => encoder.Heads };
        seed = new Option<long>("--seed") { Description = words.Seed, DefaultValueFactory = _ => s.Seed };
        every = new Option<int>("--checkpoint-every") { Description = "Write the restart state every N steps (and at each epoch end).", DefaultValueFactory = _ => s.CheckpointEverySteps };
    }

    /// <summary>Adds every option to <paramref name="cmd"/> in the help's order, with the command's own ones in place.</summary>
    public void AddTo(Command cmd, IEnumerable<Option> model, IEnumerable<Option> flags)
    {
        Option[] head = [Data, Work, Backbones, Name, epochs, batch, lr, wd, warmup, Width, Layers, Heads];
        Option[] run = [seed, precision, every, StopAfterEpoch, KeepEpochs, initFrom];
        foreach (var o in head.Concat(model).Concat(run).Concat(flags).Concat([Restart, NoPublish])) cmd.Options.Add(o);
    }

    /// <summary><paramref name="defaults"/> with the schedule given on the command line.</summary>
    public PretrainSchedule Schedule(ParseResult parse, PretrainSchedule defaults) => defaults with
    {
        Epochs = parse.GetValue(epochs),
        BatchSize = parse.GetValue(batch),
        LearningRate = parse.GetValue(lr),
        WeightDecay = parse.GetValue(wd),
        WarmupEpochs = parse.GetValue(warmup),
        Seed = parse.GetValue(seed),
        Bf16 = PretrainCommand.ParseBf16(parse.GetValue(precision)!),
        CheckpointEverySteps = parse.GetValue(every),
    };

    /// <summary>The published backbone given by <c>--init-from</c>, read and verified; null when not given.</summary>
    public PretrainInit? Init(ParseResult parse) => parse.GetValue(initFrom) is { } folder ? PretrainInit.Open(folder) : null;

    /// <summary>The work folder, cleared first on <c>--restart</c>.</summary>
    public string PrepareWork(ParseResult parse)
    {
        var work = parse.GetValue(Work)!;
        PretrainCommand.PrepareWork(work, parse.GetValue(Restart));
        return work;
    }
}
