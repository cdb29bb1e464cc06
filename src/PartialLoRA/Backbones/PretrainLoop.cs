using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using PartialLoRA.Data.FewShot;
using PartialLoRA.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Backbones;

/// <summary>
/// The restartable loop both pretraining runs share. Steps are numbered globally; step t belongs to epoch
/// t / stepsPerEpoch, and everything random in it (data order, augmentation, masking, dropout) is derived from
/// (seed, t), so a run resumed from <see cref="PretrainState"/> takes exactly the steps an uninterrupted run takes.
/// The learning rate follows the engine's <see cref="CosineAnnealingSchedule"/> (warm-up, cosine, floor); AdamW
/// groups come from <see cref="TrainableSetup.ForParameters"/> (no decay on biases and norm weights); gradients are
/// clipped with <see cref="GradientClipping"/>. The state is written every <see cref="PretrainSchedule.CheckpointEverySteps"/>
/// steps and at each epoch end (after that epoch's evaluation, so its history survives a restart), when it is also
/// kept as an epoch snapshot (<see cref="PretrainState.SnapshotEpoch"/>).
/// <para>
/// A run may stop early at the end of an epoch K of its N-epoch schedule (<c>stopAfterEpoch</c>): the schedule,
/// seeds and therefore the trajectory are the full run's, so the model at K is the one the full run passes through.
/// When the folder's state is already past K, the model comes from the epoch-K snapshot and nothing is written.
/// While it trains, the loop holds an exclusive lock on <c>run.lock</c> in the work folder so that two processes
/// never write the same state.
/// </para>
/// </summary>
public sealed class PretrainLoop : IDisposable
{
    private readonly string kind;
    private readonly string? streamTag;
    private readonly string workDir;
    private readonly JsonObject options;
    private readonly PretrainSchedule schedule;
    private readonly nn.Module model;
    private readonly AdamW optimizer;
    private readonly List<Parameter> parameters;
    private readonly double[] baseRates;
    private readonly CosineAnnealingSchedule lr;
    private readonly TextWriter log;
    private readonly string unit;
    private readonly long itemsPerStep;
    private double lossSum;
    private int lossCount;
    private double previousSeconds;

    public const string LockFileName = "run.lock";
    public const int DefaultKeepEpochSnapshots = 3;

    public int StepsPerEpoch { get; }
    public int TotalSteps { get; }

    /// <summary>Where <see cref="Run"/> stops: the end of the stop epoch, else <see cref="TotalSteps"/>.</summary>
    public int StopStep { get; }

    public int Epochs { get; }

    /// <summary>The model was loaded from an epoch snapshot (the run's state was past the stop epoch).</summary>
    public bool FromSnapshot { get; }

    private readonly int keepEpochSnapshots;
    public int Step { get; private set; }
    public JsonArray History { get; private set; } = [];

    /// <summary>Training wall time over all sessions of the run (evaluations included).</summary>
    public double ElapsedSeconds => previousSeconds + session.Elapsed.TotalSeconds;

    public bool Resumed { get; }
    private readonly Stopwatch session = new();

    /// <param name="kind">The run's name in states and logs (vision, text).</param>
    /// <param name="options">Everything that determines the run's result; a work folder only resumes a run with equal options.</param>
    /// <param name="itemsPerStep">Images or tokens per step, for the throughput in the log.</param>
    /// <param name="stopAfterEpoch">Stop at the end of this epoch (1-based) of the full schedule; null: run it all.</param>
    /// <param name="keepEpochSnapshots">How many of the latest epoch snapshots to keep.</param>
    /// <param name="streamTag">Salt of every random stream (<see cref="PretrainInit.StreamTag"/> for a continued run); null: none.</param>
    public PretrainLoop(string kind, JsonObject options, PretrainSchedule schedule, nn.Module model, int stepsPerEpoch,
        string workDir, TextWriter log, string unit, long itemsPerStep, int? stopAfterEpoch = null, int keepEpochSnapshots = DefaultKeepEpochSnapshots,
        string? streamTag = null)
    {
        this.streamTag = streamTag;
        if (stepsPerEpoch < 1) throw new ArgumentException($"{kind}: the training set gives no full batch of {schedule.BatchSize}");
        if (stopAfterEpoch is { } k0 && (k0 < 1 || k0 > schedule.Epochs))
            throw new ArgumentException($"{kind}: stop after epoch {k0}: must be in [1, epochs = {schedule.Epochs}]");
        if (keepEpochSnapshots < 1) throw new ArgumentException($"{kind}: keep_epochs = {keepEpochSnapshots}: must be ≥ 1");
        this.keepEpochSnapshots = keepEpochSnapshots;
        (this.kind, this.schedule, this.model, this.workDir, this.log, this.unit, this.itemsPerStep) =
            (kind, schedule, model, workDir, log, unit, itemsPerStep);
        // compared with a resumed run's options as parsed JSON, so both sides go through text
        this.options = JsonNode.Parse(options.ToJsonString())!.AsObject();
        StepsPerEpoch = stepsPerEpoch;
        TotalSteps = stepsPerEpoch * schedule.Epochs;
        Epochs = schedule.Epochs;
        StopStep = stopAfterEpoch is { } k1 ? k1 * stepsPerEpoch : TotalSteps;
        lr = new CosineAnnealingSchedule(TotalSteps, schedule.WarmupSteps(stepsPerEpoch), schedule.MinLearningRateFactor);

        var setup = TrainableSetup.ForParameters(model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)));
        parameters = setup.Parameters.ToList();
        var groups = setup.Groups.Select(g => new AdamW.ParamGroup(g.Parameters, lr: schedule.LearningRate,
            beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: g.WeightDecay ?? schedule.WeightDecay)).ToList();
        optimizer = torch.optim.AdamW(groups, lr: schedule.LearningRate);
        baseRates = setup.Groups.Select(_ => schedule.LearningRate).ToArray();

        Directory.CreateDirectory(workDir);
        if (PretrainState.ReadProgress(workDir) is { } saved)
        {
            var path = PretrainState.PathIn(workDir);
            CheckSameRun(saved, path);
            var progress = PretrainState.Load(path, model, optimizer);
            if (progress["step"]!.GetValue<int>() > StopStep)
            {
                // past the stop epoch (possibly moved on by another process meanwhile): that epoch's snapshot
                var epoch = StopStep / stepsPerEpoch;
                var snapshot = PretrainState.EpochSnapshotPath(workDir, epoch);
                if (!File.Exists(snapshot))
                    throw new FileNotFoundException(
                        $"{path}: the run is at step {progress["step"]}, past the end of epoch {epoch} (step {StopStep}), and {snapshot} is gone " +
                        $"(the folder keeps the last epochs' snapshots: {string.Join(", ", PretrainState.EpochSnapshots(workDir))}); " +
                        "reproduce epoch " + epoch + " with the same command in a new work folder", snapshot);
                progress = PretrainState.Load(snapshot, model, optimizer);
                CheckSameRun(progress, snapshot);
                if (progress["step"]!.GetValue<int>() != StopStep)
                    throw new InvalidDataException($"{snapshot}: holds step {progress["step"]}, expected the end of epoch {epoch} (step {StopStep})");
                FromSnapshot = true;
                path = snapshot;
            }
            Step = progress["step"]!.GetValue<int>();
            History = progress["history"]!.AsArray().DeepClone().AsArray();
            previousSeconds = progress["elapsed_s"]!.GetValue<double>();
            lossSum = progress["loss_sum"]!.GetValue<double>();
            lossCount = progress["loss_count"]!.GetValue<int>();
            Resumed = true;
            log.WriteLine(FromSnapshot
                ? $"{kind}: loaded the end of epoch {Step / StepsPerEpoch} of {Epochs} from {path} (step {Step}/{TotalSteps}; the run is further on)"
                : $"{kind}: resuming from {path} at step {Step}/{TotalSteps} (epoch {Step / StepsPerEpoch + 1})");
        }
    }

    public bool Finished => Step >= TotalSteps;

    /// <summary>Epochs completed by the model the loop holds.</summary>
    public int EpochsTrained => Step / StepsPerEpoch;

    /// <summary>
    /// Runs the remaining steps. <paramref name="stepLoss"/>(epoch, batch, step) does the forward pass and returns the
    /// scalar loss (f32); <paramref name="endOfEpoch"/>(epoch, 1-based) evaluates and returns what to record.
    /// </summary>
    public void Run(Func<int, int, int, Tensor> stepLoss, Func<int, JsonObject> endOfEpoch, int logEvery = 25)
    {
        if (Step >= StopStep) return;
        using var runLock = Lock();
        session.Start();
        var window = Stopwatch.StartNew();
        int windowSteps = 0;
        try
        {
            while (Step < StopStep)
            {
                int epoch = Step / StepsPerEpoch, batch = Step % StepsPerEpoch;
                using (torch.NewDisposeScope())
                {
                    model.train();
                    var factor = lr.Factor(Step);
                    var controllers = optimizer.ParamGroups.ToList();
                    for (int g = 0; g < controllers.Count; g++) controllers[g].LearningRate = baseRates[g] * factor;
                    optimizer.zero_grad();
                    // dropout draws from libtorch's global generator: seed it per step so a resumed run draws the same
                    torch.manual_seed(StepSeed("dropout", Step));
                    var loss = stepLoss(epoch, batch, Step);
                    var value = loss.item<float>();
                    if (!float.IsFinite(value))
                        throw new InvalidOperationException($"{kind}: the loss is {value} at step {Step} (epoch {epoch + 1}); lower the learning rate");
                    loss.backward();
                    GradientClipping.ClipByGlobalNorm(parameters, schedule.MaxGradNorm);
                    optimizer.step();
                    lossSum += value;
                    lossCount++;
                }
                Step++;
                windowSteps++;
                if (Step % logEvery == 0 || Step == TotalSteps)
                {
                    var rate = windowSteps * itemsPerStep / window.Elapsed.TotalSeconds;
                    log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{kind}: step {Step}/{TotalSteps} epoch {epoch + 1}/{schedule.Epochs} loss {lossSum / Math.Max(1, lossCount):F4} lr {schedule.LearningRate * lr.Factor(Step - 1):E2} {rate:F0} {unit}/s"));
                    window.Restart();
                    windowSteps = 0;
                }
                var epochEnd = Step % StepsPerEpoch == 0;
                if (epochEnd)
                {
                    var record = endOfEpoch(Step / StepsPerEpoch);
                    record["epoch"] = Step / StepsPerEpoch;
                    record["step"] = Step;
                    record["train_loss"] = lossSum / Math.Max(1, lossCount);
                    record["elapsed_s"] = Math.Round(ElapsedSeconds, 1);
                    History.Add(record);
                    lossSum = 0;
                    lossCount = 0;
                    log.WriteLine($"{kind}: epoch {Step / StepsPerEpoch} {record.ToJsonString()}");
                    window.Restart();
                    windowSteps = 0;
                }
                if (epochEnd || Step % schedule.CheckpointEverySteps == 0 || Step == TotalSteps) Save();
                if (epochEnd) PretrainState.SnapshotEpoch(workDir, Step / StepsPerEpoch, keepEpochSnapshots);
            }
            if (StopStep < TotalSteps)
                log.WriteLine($"{kind}: stopped after epoch {EpochsTrained} of {Epochs} (step {Step}/{TotalSteps}); the same command without --stop-after-epoch continues the run");
        }
        finally
        {
            session.Stop();
        }
    }

    /// <summary>An exclusive lock on the work folder's <c>run.lock</c> (released when the process ends, even by a kill).</summary>
    private FileStream Lock()
    {
        var path = Path.Combine(workDir, LockFileName);
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"{path}: another process is training in {workDir}; wait for it or use another work folder ({e.Message})", e);
        }
    }

    /// <summary>A 63-bit seed keyed by the run's seed, its kind (and stream tag), a purpose and a step (see <see cref="SplitMix64.Key"/>).</summary>
    public long StepSeed(string purpose, int step) =>
        (long)(SplitMix64.Key((ulong)schedule.Seed, Parts(purpose, step.ToString(CultureInfo.InvariantCulture))) >> 1);

    /// <summary>A random stream keyed like <see cref="StepSeed"/> (data order per epoch, augmentation per step).</summary>
    public SplitMix64 Stream(params string[] purpose) => SplitMix64.For((ulong)schedule.Seed, Parts(purpose));

    private string[] Parts(params string[] purpose) => streamTag is null ? [kind, .. purpose] : [kind, streamTag, .. purpose];

    private void Save() => PretrainState.Save(workDir, model, optimizer, new JsonObject
    {
        ["kind"] = kind,
        ["options"] = options.DeepClone(),
        ["step"] = Step,
        ["total_steps"] = TotalSteps,
        ["steps_per_epoch"] = StepsPerEpoch,
        ["elapsed_s"] = ElapsedSeconds,
        ["loss_sum"] = lossSum,
        ["loss_count"] = lossCount,
        ["history"] = History.DeepClone(),
    });

    private void CheckSameRun(JsonObject saved, string path)
    {
        if (saved["kind"]?.GetValue<string>() != kind)
            throw new InvalidOperationException($"{path}: holds a '{saved["kind"]}' run, not a '{kind}' run; use another work folder");
        var before = saved["options"] as JsonObject ?? throw new InvalidDataException($"{path}: progress has no options");
        var diffs = Differences(before, options, "").ToList();
        if (diffs.Count > 0)
            throw new InvalidOperationException(
                $"{path}: the run there was started with other options ({string.Join("; ", diffs)}); resume it with the same options, or use another work folder / --restart");
    }

    private static IEnumerable<string> Differences(JsonObject a, JsonObject b, string prefix)
    {
        foreach (var key in a.Select(kv => kv.Key).Union(b.Select(kv => kv.Key)).Order(StringComparer.Ordinal))
        {
            var (x, y) = (a[key], b[key]);
            if (x is JsonObject ox && y is JsonObject oy)
            {
                foreach (var d in Differences(ox, oy, prefix + key + ".")) yield return d;
            }
            else if (!JsonNode.DeepEquals(x, y))
                yield return $"{prefix}{key}: {x?.ToJsonString() ?? "absent"} then, {y?.ToJsonString() ?? "absent"} now";
        }
    }

    public void Dispose() => optimizer.Dispose();
}
