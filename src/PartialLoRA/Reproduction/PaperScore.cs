namespace PartialLoRA.Reproduction;

/// <summary>
/// A number the paper prints: the score (accuracy in %, Matthews correlation × 100 for CoLA) of a method on a dataset
/// and its trainable parameters in millions, with the table or figure it comes from.
/// </summary>
public sealed record PaperScore(string Source, string Dataset, string Method, double Score, double ParametersM);
