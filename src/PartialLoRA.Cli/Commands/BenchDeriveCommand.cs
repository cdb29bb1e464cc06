using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using PartialLoRA.Data.Registry;
using PartialLoRA.Experiments;
using PartialLoRA.Experiments.ModelProviders;
using PartialLoRA.Importance;
using PartialLoRA.Models;
using PartialLoRA.Models.Clip;
using PartialLoRA.Runtime;
using PartialLoRA.Sparsity;
using PartialLoRA.Sparsity.Benchmark;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Cli.Commands;

/// <summary><c>partial-lora bench derive</c>: time importance + Algorithm 1 for all target matrices of a model.</summary>
public static class BenchDeriveCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "lab-vision: the project's pretrained lab backbone (data/backbones) on the few-shot set D_t of --dataset, " +
                          "the real task. Or stand-in shapes: lab-tiny (clip-vit-lab-tiny: 32 px, width 192, 6 blocks), lab-small " +
                          "(width 384, 12 blocks) or vit-b16 (ViT-B/16, 224 px).",
            DefaultValueFactory = _ => "lab-tiny",
        };
        model.AcceptOnlyFromAmong(LabBackboneModel.VisionName, "lab-tiny", "lab-small", "vit-b16");
        var dataset = new Option<string>("--dataset")
        {
            Description = "With --model lab-vision: the image task whose few-shot set is D_t (cifar10, fer2013, gtsrb, fashion-mnist; shots from --shots).",
            DefaultValueFactory = _ => "cifar10",
        };
        var data = DataCommand.CreateDataOption();
        var preset = new Option<string?>("--preset")
        {
            Description = "Instead of a stand-in: a CLIP preset of the model registry (clip-vit-lab-tiny, clip-vit-lab-small, clip-vit-b16), " +
                          "the real architecture with seeded random weights (no pretrained weights are available here).",
        };
        var shots = new Option<int>("--shots") { Description = "Shots per class: N = shots × classes samples.", DefaultValueFactory = _ => 16 };
        var classes = new Option<int>("--classes") { Description = "Classes of the task head.", DefaultValueFactory = _ => 10 };
        var measure = new Option<string>("--measure") { Description = "Importance measure: svd (Eq. 4–5), snip or imp.", DefaultValueFactory = _ => "svd" };
        measure.AcceptOnlyFromAmong("svd", "snip", "imp");
        var flow = new Option<string>("--flow") { Description = "isolated, or continuous (App. H).", DefaultValueFactory = _ => "isolated" };
        flow.AcceptOnlyFromAmong("isolated", "continuous");
        var search = new Option<string>("--search") { Description = "Algorithm 1's search over the removal count: binary, galloping or naive (one at a time, as printed).", DefaultValueFactory = _ => "binary" };
        search.AcceptOnlyFromAmong("binary", "galloping", "naive");
        var threshold = new Option<double>("--threshold") { Description = "τ: stop when few-shot accuracy falls below τ·μ.", DefaultValueFactory = _ => 0.9 };
        var batch = new Option<int>("--batch-size") { Description = "Samples per forward pass (0: all N at once); with batches an evaluation stops once its answer is certain.", DefaultValueFactory = _ => 32 };
        var seed = new Option<long>("--seed") { Description = "Seed of the stand-in's weights and inputs, or of the few-shot draw of --model lab-vision.", DefaultValueFactory = _ => 0 };
        var layers = new Option<int?>("--layers") { Description = "Derive only the first N target matrices (q, k, v, out_proj, fc1, fc2 per block, in order)." };
        var output = new Option<string?>("--out") { Description = "Also write the derived sparsity plan (JSON) here." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text." };

        var cmd = new Command("derive",
            "Time importance + Algorithm 1 for all target matrices of a model: the pretrained lab backbone on a real few-shot task " +
            "(--model lab-vision), or a clearly labelled STAND-IN (random weights with real shapes, a prototype task and a nearest-class-mean head) " +
            "for the shapes no pretrained weights exist for here.");
        foreach (var o in new Option[] { model, dataset, data, preset, shots, classes, measure, flow, search, threshold, batch, seed, layers, output, json }) cmd.Options.Add(o);
        cmd.SetAction(parse => CliApp.Guard(parse, () =>
        {
            var state = CliApp.StartRuntime(parse);
            var options = new PlannerOptions
            {
                Measure = Enum.Parse<ImportanceMeasure>(parse.GetValue(measure)!, ignoreCase: true),
                Flow = Enum.Parse<FlowMode>(parse.GetValue(flow)!, ignoreCase: true),
                Seed = parse.GetValue(seed),
                Derivation = new DerivationOptions
                {
                    Threshold = parse.GetValue(threshold),
                    Search = Enum.Parse<SearchStrategy>(parse.GetValue(search)!, ignoreCase: true),
                    BatchSize = parse.GetValue(batch),
                },
            };
            options.Derivation.Validate();
            using var scope = torch.NewDisposeScope();
            var shotCount = parse.GetValue(shots);
            var modelName = parse.GetValue(model)!;
            if (modelName != LabBackboneModel.VisionName && parse.GetResult(dataset) is { Implicit: false })
                throw new ArgumentException($"--dataset applies to --model {LabBackboneModel.VisionName} only; the stand-ins and presets derive on a prototype task");
            var (classifier, fewShot, allTargets, name, header, shape) = parse.GetValue(preset) is { } presetName
                ? RegistryModel(presetName, parse.GetValue(classes), shotCount, options.Seed, state.Device)
                : modelName == LabBackboneModel.VisionName
                    ? LabVision(parse.GetValue(data), parse.GetValue(dataset)!, shotCount, options.Seed, state.Device)
                    : StandIn(SyntheticVitConfig.ByName(modelName, parse.GetValue(classes)), shotCount, options.Seed, state.Device);
            var targets = allTargets;
            if (parse.GetValue(layers) is { } limit)
            {
                if (limit < 1 || limit > targets.Count)
                    throw new ArgumentException($"--layers {limit}: expected 1…{targets.Count} (the model has {targets.Count} target matrices)");
                targets = targets.Take(limit).ToList();
            }
            var source = new PlanSource(name, ModelFingerprint.OfModule(classifier.Module), fewShot.Task, shotCount);
            var report = DerivationBenchmark.Run(classifier, fewShot.Set, targets, source, options);
            if (parse.GetValue(output) is { } path) report.Plan.Save(path);

            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    model = name,
                    stand_in = parse.GetValue(preset) == null && modelName != LabBackboneModel.VisionName,
                    task = fewShot.Task,
                    shape,
                    device = report.Device,
                    threads = state.Threads,
                    denormals = Denormals.Name(state.Denormals),
                    targets = report.Targets,
                    samples = report.Samples,
                    batch_size = report.BatchSize,
                    measure = SparsityPlanJson.Name(options.Measure),
                    flow = SparsityPlanJson.Name(options.Flow),
                    search = options.Derivation.Search.ToString().ToLowerInvariant(),
                    threshold = options.Derivation.Threshold,
                    baseline_accuracy = report.Derivation.BaselineAccuracy,
                    warmup_seconds = report.WarmupSeconds,
                    importance_seconds = report.ImportanceSeconds,
                    derivation_seconds = report.DerivationSeconds,
                    total_seconds = report.TotalSeconds,
                    evaluations = report.Derivation.Evaluations,
                    naive_evaluations = report.Derivation.NaiveEvaluations,
                    samples_evaluated = report.Derivation.SamplesEvaluated,
                    ms_per_evaluation = report.MillisecondsPerEvaluation,
                    mean_row_ratio = report.Plan.Layers.Average(l => l.RowRatio),
                    mean_col_ratio = report.Plan.Layers.Average(l => l.ColRatio),
                }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
                return 0;
            }
            var d = report.Derivation;
            Console.WriteLine(header);
            Console.WriteLine($"{"model",-12} {shape}");
            Console.WriteLine($"{"device",-12} {report.Device}, {state.Threads} CPU threads{CliApp.Subnormals(state)}");
            Console.WriteLine($"{"targets",-12} {report.Targets} matrices");
            Console.WriteLine($"{"few-shot",-12} N = {report.Samples} ({shotCount} shots × {classifier.NumClasses} classes), batch {(report.BatchSize == 0 ? "all" : report.BatchSize)}");
            Console.WriteLine($"{"method",-12} {SparsityPlanJson.Name(options.Measure)} ({SparsityPlanJson.Name(options.Flow)}), {options.Derivation.Search.ToString().ToLowerInvariant()} search, τ = {options.Derivation.Threshold}");
            Console.WriteLine($"{"baseline μ",-12} {d.BaselineAccuracy:F3}");
            Console.WriteLine($"{"warm-up",-12} {report.WarmupSeconds:F2} s (not in the total)");
            Console.WriteLine($"{"importance",-12} {report.ImportanceSeconds:F2} s");
            Console.WriteLine($"{"algorithm 1",-12} {report.DerivationSeconds:F2} s: {d.Evaluations} evaluations ({report.MillisecondsPerEvaluation:F1} ms each, " +
                              $"{(double)d.SamplesEvaluated / d.Evaluations:F0} samples on average); the one-at-a-time loop would make {d.NaiveEvaluations}");
            Console.WriteLine($"{"total",-12} {report.TotalSeconds:F2} s");
            Console.WriteLine($"{"kept",-12} mean p_row {report.Plan.Layers.Average(l => l.RowRatio):F3}, mean p_col {report.Plan.Layers.Average(l => l.ColRatio):F3}");
            return 0;
        }));
        return cmd;
    }

    // D_t and the task it was drawn from.
    private sealed record FewShotTask(FewShotSet Set, string Task);

    // The model to derive for: what it is called in the plan, the line that says what it is, its shape.
    private sealed record BenchModel(IClassifier Model, FewShotTask Data, IReadOnlyList<string> Targets, string Name, string Header, string Shape);

    private static BenchModel StandIn(SyntheticVitConfig c, int shots, long seed, Device device)
    {
        var (vit, data) = DerivationBenchmark.StandIn(c, shots, seed, device);
        return new BenchModel(vit, new FewShotTask(data, "prototype task"), vit.TargetPaths, $"stand-in:{c.Name}",
            $"STAND-IN: synthetic {c.Name} with random weights (not a pretrained model) on a prototype task with a nearest-class-mean head.",
            $"{c.Depth} blocks, width {c.Width}, MLP {c.MlpWidth}, {c.Heads} heads, {c.Tokens} tokens ({c.ImageSize} px / patch {c.PatchSize})");
    }

    private static BenchModel RegistryModel(string preset, int classes, int shots, long seed, Device device)
    {
        var info = ModelRegistry.Preset(preset);
        if (info.Family != ModelFamily.Clip)
            throw new ArgumentException($"--preset {preset}: bench derive builds an image task; expected a CLIP preset " +
                                        $"({string.Join(", ", ModelRegistry.Presets.Where(p => p.Family == ModelFamily.Clip).Select(p => p.Name))})");
        var clip = (ClipVisionClassifier)ModelRegistry.BuildClassifier(preset, classes, seed);
        clip.to(device);
        var v = clip.VisionConfig;
        var head = clip.classifier as TorchSharp.Modules.Linear ?? throw new InvalidOperationException($"{preset}: the classifier is not a Linear");
        var data = DerivationBenchmark.PrototypeTask(clip, head, v.ImageSize, shots, seed, device);
        return Clip(clip, new FewShotTask(data, "prototype task"), preset,
            $"ARCHITECTURE: {preset} from the model registry with seeded random weights (no pretrained weights here) on a prototype task with a nearest-class-mean head.");
    }

    // A CLIP vision classifier with its attention and MLP projections as targets, and its shape line.
    private static BenchModel Clip(ClipVisionClassifier clip, FewShotTask data, string name, string header)
    {
        var v = clip.VisionConfig;
        var targets = TargetLayer.FindPaths(clip, [.. ModelRegistry.TargetModules(ModelFamily.Clip, "adalora")]);
        var tokens = (v.ImageSize / v.PatchSize) * (v.ImageSize / v.PatchSize) + 1;
        return new BenchModel(clip, data, targets, name, header,
            $"{v.NumHiddenLayers} blocks, width {v.HiddenSize}, MLP {v.IntermediateSize}, {v.NumAttentionHeads} heads, {tokens} tokens ({v.ImageSize} px / patch {v.PatchSize})");
    }

    // The pretrained lab ViT with its class-mean head on D_t of a real image task, built as the engine builds it
    // for a run (so the timing is that of `derive --model lab-vision`, without the plan cache).
    private static BenchModel LabVision(string? dataRoot, string datasetName, int shots, long seed, Device device)
    {
        var info = DatasetRegistry.Get(datasetName);
        if (!info.IsImage)
            throw new ArgumentException($"--dataset {datasetName}: --model {LabBackboneModel.VisionName} needs an image task; {info.Name} holds text");
        var catalog = BuiltInCatalog.Create(dataRoot);
        var m = catalog.NormalizeModel(new JsonObject { ["name"] = LabBackboneModel.VisionName }, "--model", "bench derive");
        var d = catalog.NormalizeDataset(new JsonObject { ["name"] = datasetName, ["shots"] = shots, ["split_seed"] = seed }, "--dataset", "bench derive");
        using var executor = new RunExecutor(catalog, device, CacheFolder.Resolve(null));
        var task = executor.Task(d, m);
        var handle = catalog.Models[m.Name].Build(m, task, device);
        var set = task.FewShot ?? throw new ArgumentException($"--dataset {datasetName}: the task has no few-shot set D_t");
        return Clip((ClipVisionClassifier)handle.Classifier, new FewShotTask(PlanCache.Materialize(set, device), task.Name), LabBackboneModel.VisionName,
            $"PRETRAINED: the lab backbone {LabBackboneModel.VisionName} (data/backbones) with its class-mean head on {task.Name}'s few-shot set D_t.");
    }
}
