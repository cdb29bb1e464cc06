namespace PartialLoRA.Data.Glue;

/// <summary>The GLUE tasks the paper uses (§5: SST-2, QNLI, MRPC, CoLA).</summary>
public enum GlueTask
{
    Sst2,
    Mrpc,
    Cola,
    Qnli,
}

/// <summary>A GLUE task's fixed facts: registry name, folder under <c>glue/</c>, label names (index = label),
/// input kind, metric, and the official train/dev sizes (used by the few-shot ratio rule and the tests).</summary>
public sealed record GlueTaskInfo(GlueTask Task, string Name, string Folder, string[] Labels, TaskType Type, string Metric,
    int OfficialTrain, int OfficialDev)
{
    public static readonly IReadOnlyList<GlueTaskInfo> All =
    [
        new(GlueTask.Sst2, "sst2", "SST-2", ["negative", "positive"], TaskType.SentenceClassification, MetricNames.Accuracy, 67_349, 872),
        new(GlueTask.Mrpc, "mrpc", "MRPC", ["not_equivalent", "equivalent"], TaskType.SentencePairClassification, MetricNames.F1Accuracy, 3_668, 408),
        new(GlueTask.Cola, "cola", "CoLA", ["unacceptable", "acceptable"], TaskType.SentenceClassification, MetricNames.Matthews, 8_551, 1_043),
        new(GlueTask.Qnli, "qnli", "QNLI", ["entailment", "not_entailment"], TaskType.SentencePairClassification, MetricNames.Accuracy, 104_743, 5_463),
    ];

    public static GlueTaskInfo Of(GlueTask task) => All.First(t => t.Task == task);
}
