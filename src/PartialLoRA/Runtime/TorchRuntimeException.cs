namespace PartialLoRA.Runtime;

/// <summary>The Torch runtime cannot start as configured; the message says what is wrong and how to fix it.</summary>
public sealed class TorchRuntimeException(string message, Exception? inner = null) : Exception(message, inner);
