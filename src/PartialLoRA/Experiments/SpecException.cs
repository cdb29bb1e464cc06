namespace PartialLoRA.Experiments;

/// <summary>A user's configuration (sweep spec, run options, store line) is wrong; the message names the file and the field.</summary>
public sealed class SpecException(string message) : Exception(message);
