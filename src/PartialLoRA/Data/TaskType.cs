namespace PartialLoRA.Data;

/// <summary>What a dataset asks of a model; the trainer picks its input handling from this.</summary>
public enum TaskType
{
    /// <summary>Images → one of K classes.</summary>
    ImageClassification,
    /// <summary>One sentence → one of K classes (SST-2, CoLA).</summary>
    SentenceClassification,
    /// <summary>A sentence pair → one of K classes (MRPC, QNLI).</summary>
    SentencePairClassification,
}

/// <summary>The metric names the engine computes; the registry records one per dataset.</summary>
public static class MetricNames
{
    public const string Accuracy = "accuracy";
    /// <summary>Matthews correlation coefficient (CoLA).</summary>
    public const string Matthews = "matthews_correlation";
    /// <summary>F1 of the positive class, with accuracy beside it (MRPC).</summary>
    public const string F1Accuracy = "f1+accuracy";
}
