using System.CommandLine;
using PartialLoRA.Cli;

namespace PartialLoRA.Tests.Backbones;

/// <summary>The command-line surface of <c>pretrain vision|text</c> (built from shared option blocks): names, order, defaults.</summary>
public class PretrainOptionsSurfaceTests
{
    private static Command Sub(string name) =>
        CliApp.Build().Subcommands.Single(c => c.Name == "pretrain").Subcommands.Single(c => c.Name == name);

    private static string[] Names(Command c) => c.Options.Select(o => o.Name).Where(n => n.StartsWith("--", StringComparison.Ordinal)).ToArray();

    [Fact]
    public void Vision_and_text_keep_their_options_in_order()
    {
        string[] head = ["--data", "--work", "--backbones", "--name", "--epochs", "--batch-size", "--lr", "--weight-decay", "--warmup-epochs", "--width", "--layers", "--heads"];
        string[] run = ["--seed", "--precision", "--checkpoint-every", "--stop-after-epoch", "--keep-epochs", "--init-from"];
        Assert.Equal([.. head, "--mlp-ratio", "--patch-size", "--projection-dim", .. run, "--restart", "--no-publish"], Names(Sub("vision")));
        Assert.Equal([.. head, "--intermediate-size", "--max-length", .. run, "--skip-sst2", "--restart", "--no-publish"], Names(Sub("text")));
    }

    [Theory]
    [InlineData("vision", "Seed of initialisation, hold-out, data order and augmentation.", "artifacts/pretrain/vision")]
    [InlineData("text", "Seed of initialisation, hold-out, packing, order, masking and dropout.", "artifacts/pretrain/text")]
    public void Each_command_keeps_its_own_wording_and_defaults(string kind, string seedWords, string work)
    {
        var cmd = Sub(kind);
        Assert.Equal(seedWords, cmd.Options.Single(o => o.Name == "--seed").Description);
        var parse = cmd.Parse([]);
        Assert.Equal(work, parse.GetValue<string>("--work")!.Replace('\\', '/'));
        Assert.Equal("bf16", parse.GetValue<string>("--precision"));
        Assert.Equal(kind == "vision" ? "clip-vit-lab-cifar10" : "deberta-v3-lab-glue-mlm", parse.GetValue<string>("--name"));
    }
}
