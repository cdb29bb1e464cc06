using System.Diagnostics;
using PartialLoRA.Adapters;
using PartialLoRA.Adapters.Layers;
using PartialLoRA.Adapters.Masks;
using PartialLoRA.Models;
using PartialLoRA.Models.Clip;
using PartialLoRA.Sparsity;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Benchmarks;

/// <summary>
/// Fine-tuning throughput of the CLIP vision classifier (tower → visual_projection → normalise → linear head) with
/// each method of the issue, on random images and labels (speed does not depend on the weights, which are the
/// registry's seeded random initialisation).
/// <para>
/// Precision on a half-precision dtype (bf16 on CUDA): the frozen base — weights and activations — is held in bf16
/// (no per-step weight casts), adapters and the trained head keep float32 parameters and run in bf16 through a
/// differentiable cast (<see cref="AdapterCompute.ActivationDtype"/>, what torch.autocast does to PEFT's float32
/// adapters), the loss is computed in float32, and full fine-tuning trains bf16 weights with float32 master weights
/// and moments (<see cref="FlatAdamW"/>). Unlike torch.autocast, LayerNorm outputs and the residual stream stay in bf16.
/// </para>
/// The step loop never reads a device value: the loss is read once after timing.
/// </summary>
public static class FinetuneBenchmark
{
    public static FinetuneResult Run(FinetuneMethod method, FinetuneOptions o, Device device)
    {
        o.Validate();
        var clock = Stopwatch.StartNew();
        var memory = DeviceMemory.Start(device);
        var dtype = o.ResolveDtype(device);
        var half = dtype != ScalarType.Float32;
        var (vision, projection) = o.Vision();
        var model = new ClipVisionClassifier(vision, projection, ModelRegistry.DefaultLabels(o.Classes), seed: o.Seed);
        AdapterModel? adapters = null;
        FlatAdamW? optimizer = null;
        Tensor? pixels = null, labels = null, lastLoss = null;
        try
        {
            model.to(device);
            model.to(dtype);
            IReadOnlyList<AdaptedLinear> adapted = [];
            if (method.UsesAdapters)
            {
                // The trained head keeps float32 parameters (as the adapters do).
                if (half) model.classifier.to(ScalarType.Float32);
                adapters = AdapterModel.Inject(model, AdapterConfig(method, o, model));
                foreach (var layer in adapters.Layers) layer.Compute = half ? AdapterCompute.ActivationDtype : AdapterCompute.AdapterDtype;
                adapted = adapters.Layers.Select(l => new AdaptedLinear(l.InFeatures, l.OutFeatures, l is AdaLoraLinear a ? a.Rank : o.Rank)).ToList();
            }
            var trainable = method.Family switch
            {
                MethodFamily.Eval => [],
                MethodFamily.Full => model.parameters().ToList(),
                _ => adapters!.TrainableParameters().ToList(),
            };
            if (method.Trains) optimizer = new FlatAdamW(trainable, o.LearningRate, weightDecay: o.WeightDecay);
            if (method.Family == MethodFamily.Eval) model.eval();
            else model.train();

            using var g = new Generator((ulong)o.Seed);
            using (var p = torch.randn([o.Batch, vision.NumChannels, vision.ImageSize, vision.ImageSize], generator: g))
                pixels = p.to(dtype, device).DetachFromDisposeScope();
            using (var l = torch.randint(0, o.Classes, [o.Batch], generator: g))
                labels = l.to(device).DetachFromDisposeScope();
            var setup = clock.Elapsed.TotalSeconds;

            var step = 0;
            void Step()
            {
                using var scope = torch.NewDisposeScope();
                if (method.Family == MethodFamily.Eval)
                {
                    using var _ = torch.no_grad();
                    model.Logits(pixels!);
                    step++;
                    return;
                }
                optimizer!.ZeroGrad();
                var loss = nn.functional.cross_entropy(model.Logits(pixels!).to(ScalarType.Float32), labels!);
                if (adapters?.RegularizationLoss() is { } reg) loss = loss + reg;
                loss.backward();
                optimizer.Step();
                // AdaLoRA's budget: after the update, with the gradients still present (PEFT's update_and_allocate).
                adapters?.RankAllocator?.UpdateAndAllocate(step);
                lastLoss?.Dispose();
                lastLoss = loss.detach().DetachFromDisposeScope();
                step++;
            }

            for (var i = 0; i < o.Warmup; i++) Step();
            Synchronize(device);
            memory.Sample();
            var windows = new double[o.Windows];
            for (var w = 0; w < o.Windows; w++)
            {
                var sw = Stopwatch.StartNew();
                for (var i = 0; i < o.StepsPerWindow; i++) Step();
                Synchronize(device);
                windows[w] = sw.Elapsed.TotalMilliseconds / o.StepsPerWindow;
                memory.Sample();
            }
            var stepMs = Median(windows);
            double? finalLoss = lastLoss is null ? null : lastLoss.item<float>();
            if (finalLoss is { } fl && !double.IsFinite(fl))
                throw new InvalidOperationException($"{method.Name}: the loss became {fl}; a diverged run measures nothing");

            var kind = method.Family switch { MethodFamily.Eval => StepKind.Eval, MethodFamily.Full => StepKind.Full, _ => StepKind.Adapters };
            var flops = new FinetuneFlops(vision, projection, o.Classes).PerStep(kind, o.Batch, adapted);
            var figure = memory.Stop();
            return new FinetuneResult(
                method.Name, device.ToString(), DtypeName(dtype), o.Attention.ToString().ToLowerInvariant(),
                adapters == null ? "-" : (half ? "activation-dtype" : "adapter-dtype"),
                o.Batch, vision.ImageSize, o.Warmup, o.Windows, o.StepsPerWindow,
                stepMs, windows, o.Batch / (stepMs / 1000),
                method.Family switch
                {
                    MethodFamily.Eval => 0,
                    MethodFamily.Full => trainable.Sum(p => p.numel()),
                    _ => adapters!.TrainableParameterCount,
                },
                optimizer?.Count ?? 0, optimizer?.MomentBytes ?? 0, optimizer?.MasterBytes ?? 0,
                flops, flops / (stepMs / 1000) / (o.PeakTflops * 1e12), o.PeakTflops,
                figure, memory.PeakIsPerRun, finalLoss, setup);
        }
        finally
        {
            lastLoss?.Dispose();
            pixels?.Dispose();
            labels?.Dispose();
            optimizer?.Dispose();
            model.Dispose();
        }
    }

    /// <summary>The adapter config of a method on <paramref name="model"/>'s targets (Partial-LoRA's plan from its sparsity).</summary>
    public static AdapterConfig AdapterConfig(FinetuneMethod method, FinetuneOptions o, nn.Module model)
    {
        var targets = TargetModules.Of([.. FinetuneOptions.Targets]);
        string[] head = ["classifier"];
        var alpha = 2.0 * o.Rank;
        return method.Family switch
        {
            MethodFamily.Lora => new LoraConfig { TargetModules = targets, ModulesToSave = head, R = o.Rank, Alpha = alpha, Seed = o.Seed },
            MethodFamily.Dora => new LoraConfig { TargetModules = targets, ModulesToSave = head, R = o.Rank, Alpha = alpha, UseDora = true, Seed = o.Seed },
            MethodFamily.PartialLora => new LoraConfig
            {
                TargetModules = targets, ModulesToSave = head, R = o.Rank, Alpha = alpha, Seed = o.Seed, Storage = method.Storage,
                Masks = new PartialMasks(UniformPlan(model, targets, 1 - method.Sparsity), o.Seed),
            },
            MethodFamily.Vera => new VeraConfig { TargetModules = targets, ModulesToSave = head, R = o.Rank, ProjectionPrngKey = o.Seed, Seed = o.Seed },
            MethodFamily.AdaLora => new AdaLoraConfig
            {
                TargetModules = targets, ModulesToSave = head, InitR = o.Rank, TargetR = o.Rank / 2, Alpha = alpha, Seed = o.Seed,
                TotalStep = o.TotalSteps, TInit = 0, TFinal = 0, DeltaT = 10,
            },
            _ => throw new ArgumentException($"method '{method.Name}' has no adapter"),
        };
    }

    /// <summary>
    /// Every target keeps round(keep·m) rows and round(keep·n) columns: the same p_row = p_col for all layers, so
    /// Partial-LoRA's masks (Bernoulli per row/column, Eq. 6) remove ≈ (1 − keep) of LoRA's parameters. (In the paper
    /// the ratios come from Algorithm 1 per layer; for speed only the amount matters.)
    /// </summary>
    public static IReadOnlyDictionary<string, LayerSparsity> UniformPlan(nn.Module model, TargetModules targets, double keep) =>
        model.named_modules()
            .Where(m => m.name != "" && m.module is Linear && targets.Matches(m.name))
            .Select(m => (m.name, (Linear)m.module))
            .ToDictionary(t => t.name, t =>
            {
                var (rows, cols) = ((int)t.Item2.out_features, (int)t.Item2.in_features);
                return new LayerSparsity(t.name, rows, cols, (int)Math.Round(keep * rows), (int)Math.Round(keep * cols));
            });

    private static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize(device);
    }

    private static double Median(double[] values)
    {
        var s = values.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    public static string DtypeName(ScalarType t) => t switch
    {
        ScalarType.BFloat16 => "bf16",
        ScalarType.Float16 => "f16",
        ScalarType.Float32 => "f32",
        _ => t.ToString(),
    };
}
