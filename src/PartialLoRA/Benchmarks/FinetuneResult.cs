namespace PartialLoRA.Benchmarks;

/// <summary>One method's figures from <see cref="FinetuneBenchmark"/>.</summary>
/// <param name="StepMilliseconds">Median over the timed windows of window time / steps.</param>
/// <param name="WindowMilliseconds">Each window's time per step.</param>
/// <param name="TrainableParameters">Trained entries (masked entries excluded; the head included).</param>
/// <param name="StoredTrainableElements">Elements of the trainable tensors as stored (what the optimizer state is sized by).</param>
/// <param name="OptimizerStateBytes">AdamW's two float32 moments.</param>
/// <param name="MasterWeightBytes">Float32 master weights kept for half-precision trainable weights (full fine-tuning in bf16).</param>
/// <param name="FlopsPerStep">Model FLOPs of one step (<see cref="FinetuneFlops"/>).</param>
/// <param name="Mfu">FlopsPerStep / step time / peak.</param>
/// <param name="FinalLoss">The last step's loss (read once, after timing); null for evaluation.</param>
/// <param name="SetupSeconds">Building, moving and converting the model, before the first step.</param>
public sealed record FinetuneResult(
    string Method,
    string Device,
    string Dtype,
    string Attention,
    string AdapterCompute,
    int Batch,
    int ImageSize,
    int Warmup,
    int Windows,
    int StepsPerWindow,
    double StepMilliseconds,
    IReadOnlyList<double> WindowMilliseconds,
    double ImagesPerSecond,
    long TrainableParameters,
    long StoredTrainableElements,
    long OptimizerStateBytes,
    long MasterWeightBytes,
    double FlopsPerStep,
    double Mfu,
    double PeakTflops,
    MemoryFigure Memory,
    bool MemoryIsPerRun,
    double? FinalLoss,
    double SetupSeconds);
