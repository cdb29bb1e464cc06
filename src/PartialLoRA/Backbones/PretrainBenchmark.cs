using System.Diagnostics;
using PartialLoRA.Models.Clip;
using PartialLoRA.Models.Deberta;
using PartialLoRA.Runtime;
using PartialLoRA.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Backbones;

/// <summary>One throughput measurement: training steps of a candidate size on synthetic inputs.</summary>
public sealed record PretrainThroughput(string Kind, string Size, string Precision, int Threads, int BatchSize, int Steps, double SecondsPerStep,
    double ItemsPerSecond, string Unit, long Parameters);

/// <summary>
/// Training-step throughput of candidate backbone sizes (forward, loss, backward, AdamW step — exactly the
/// pretraining step, on random inputs of the real shapes), used to choose the sizes that fit the CPU budget.
/// </summary>
public static class PretrainBenchmark
{
    public static PretrainThroughput Vision(VisionPretrainOptions o, int steps, int warmup = 2)
    {
        var device = TorchRuntime.Device;
        using var model = new ClipVisionClassifier(o.VisionConfig(), o.ProjectionDim, Enumerable.Range(0, 10).Select(i => $"class {i}").ToList(), seed: o.Schedule.Seed);
        model.to(device);
        using var g = new Generator((ulong)o.Schedule.Seed, device);
        using var x = torch.randn([o.Schedule.BatchSize, 3, o.ImageSize, o.ImageSize], generator: g, device: device);
        using var y = torch.randint(0, 10, [o.Schedule.BatchSize], generator: g, device: device);
        var seconds = Time(model, o.Schedule, steps, warmup, () =>
        {
            Tensor logits;
            using (o.Schedule.Bf16 ? new Autocast(device) : null) logits = model.Logits(x);
            return nn.functional.cross_entropy(logits.to(ScalarType.Float32), y, label_smoothing: o.LabelSmoothing);
        });
        return new PretrainThroughput("vision", $"width {o.Width}, {o.Layers} layers, {o.Heads} heads, MLP ×{o.MlpRatio}, patch {o.PatchSize}", Name(o.Schedule),
            torch.get_num_threads(), o.Schedule.BatchSize, steps, seconds, o.Schedule.BatchSize / seconds, "img", model.parameters().Sum(p => p.numel()));
    }

    public static PretrainThroughput Text(TextPretrainOptions o, int steps, int warmup = 2)
    {
        var device = TorchRuntime.Device;
        using var model = new DebertaV2ForMaskedLM(o.Config(), o.Schedule.Seed);
        model.to(device);
        using var g = new Generator((ulong)o.Schedule.Seed, device);
        long[] shape = [o.Schedule.BatchSize, o.MaxLength];
        using var ids = torch.randint(1000, o.Config().VocabSize, shape, generator: g, device: device);
        using var mask = torch.ones(shape, ScalarType.Int64, device: device);
        var m = MlmMasking.Apply(ids, mask, new BertSpecialIds(101, 102, 0, 103), o.Config().VocabSize, o.MaskProbability, g);
        var seconds = Time(model, o.Schedule, steps, warmup, () =>
        {
            Tensor logits;
            using (o.Schedule.Bf16 ? new Autocast(device) : null) logits = TextPretrainer.SelectedLogits(model, m.Inputs, mask, m.Selected);
            return nn.functional.cross_entropy(logits.to(ScalarType.Float32), m.Targets);
        });
        var tokens = (long)o.Schedule.BatchSize * o.MaxLength;
        return new PretrainThroughput("text", $"width {o.Width}, {o.Layers} layers, {o.Heads} heads, FFN {o.IntermediateSize}, length {o.MaxLength}", Name(o.Schedule),
            torch.get_num_threads(), o.Schedule.BatchSize, steps, seconds, tokens / seconds, "tok", model.parameters().Sum(p => p.numel()));
    }

    private static string Name(PretrainSchedule s) => s.Bf16 ? "bf16-autocast" : "f32";

    private static double Time(nn.Module model, PretrainSchedule s, int steps, int warmup, Func<Tensor> loss)
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "measure at least one step");
        model.train();
        using var optimizer = torch.optim.AdamW(model.parameters(), s.LearningRate, weight_decay: s.WeightDecay);
        var clock = new Stopwatch();
        for (int i = 0; i < warmup + steps; i++)
        {
            if (i == warmup) clock.Start();
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            var l = loss();
            l.backward();
            optimizer.step();
            _ = l.item<float>();
        }
        return clock.Elapsed.TotalSeconds / steps;
    }
}
