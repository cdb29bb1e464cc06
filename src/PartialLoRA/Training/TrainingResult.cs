namespace PartialLoRA.Training;

/// <summary>One validation evaluation during training.</summary>
/// <param name="Epoch">1-based epoch in which it ran.</param>
/// <param name="Step">Optimizer steps done before it.</param>
/// <param name="TrainLoss">Mean training loss since the previous evaluation.</param>
/// <param name="LearningRate">The base group's rate at the last step before it.</param>
public sealed record Evaluation(int Epoch, int Step, double TrainLoss, double LearningRate, IReadOnlyDictionary<string, double> Validation);

/// <summary>What a run produced: validation metrics of the kept (best) state, test metrics of that state, and costs.</summary>
/// <param name="WallSeconds">The whole run: training steps, evaluations and the final test.</param>
/// <param name="EvalSeconds">Of that, validation and test evaluation.</param>
/// <param name="Denormals">The training thread's CPU denormal mode (null where it cannot be read).</param>
public sealed record TrainingResult(
    IReadOnlyDictionary<string, double> Validation,
    IReadOnlyDictionary<string, double>? Test,
    string SelectionMetric,
    int BestEpoch,
    int BestStep,
    int EpochsRun,
    int Steps,
    bool StoppedEarly,
    long TrainableParameters,
    long TotalParameters,
    double WallSeconds,
    double EvalSeconds,
    MemoryReport Memory,
    string Device,
    Precision Precision,
    IReadOnlyList<Evaluation> History,
    Runtime.DenormalMode? Denormals = null);
