using System.Diagnostics;
using PartialLoRA.Training;
using static TorchSharp.torch;

namespace PartialLoRA.Experiments;

/// <summary>
/// Executes one planned run end to end: loads the task (kept while consecutive runs use the same data), builds
/// a fresh model, applies the method (its time — plan derivation, LoRPA's first phase — recorded as
/// <c>setup_seconds</c>), trains, and returns the store record — <c>diverged</c> when training
/// produced non-finite values, which is a result of that learning rate, not an error.
/// </summary>
public sealed class RunExecutor(ExperimentCatalog catalog, Device device, string workspace) : IDisposable
{
    private string? loadedKey;
    private TrainingTask? loaded;

    public Device Device => device;

    public RunRecord Execute(PlannedRun run, string? shard = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        var config = run.Config;
        var task = Task(config.Dataset, config.Model);
        var clock = Stopwatch.StartNew();
        using var model = catalog.Models[config.Model.Name].Build(config.Model, task, device);
        var method = catalog.Methods[config.Method.Name];
        var options = config.Training.ToTrainerOptions(config.LearningRate, config.Seed, task.Metrics, task.SelectionMetric);
        var totalSteps = options.Epochs * ((task.Train.Count + options.BatchSize - 1) / options.BatchSize);
        var setup = method.Apply(new MethodContext(model, task, config.Model, config.Dataset, config.Seed, options, totalSteps, device, workspace),
            config.Method.Options);
        var setupSeconds = clock.Elapsed.TotalSeconds;
        try
        {
            var result = Trainer.Train(model.Classifier, setup, task.Train, task.Validation, task.Test, options, device, progress, cancel);
            var record = RunRecord.Finished(config, run.Label, result, shard);
            record.Details["setup_seconds"] = setupSeconds;
            return record;
        }
        catch (TrainingDivergedException e)
        {
            return RunRecord.DivergedRun(config, run.Label, options.SelectionMetric, setup.TrainableParameters, clock.Elapsed.TotalSeconds, e.Message, shard);
        }
    }

    /// <summary>The task of a dataset spec encoded for a model, loaded once while consecutive runs share both.</summary>
    public TrainingTask Task(DatasetSpec spec, ModelSpec model)
    {
        var inputs = catalog.Models[model.Name].Inputs(model);
        var key = CanonicalJson.Serialize(spec.ToJson()) + "\n" + inputs.Key;
        if (key == loadedKey && loaded != null) return loaded;
        Release();
        loaded = catalog.Datasets[spec.Name].Load(spec.Options, inputs);
        loadedKey = key;
        return loaded;
    }

    private void Release()
    {
        loaded?.Dispose();
        loaded = null;
        loadedKey = null;
    }

    public void Dispose() => Release();
}
