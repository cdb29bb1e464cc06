namespace PartialLoRA.Tests.Training;

/// <summary>
/// Tests that need libtorch's process-wide default generator to themselves (dropout draws from it, so
/// bit-identical training requires that no other test draws concurrently): run alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialTorchRng
{
    public const string Name = "libtorch default generator";
}
