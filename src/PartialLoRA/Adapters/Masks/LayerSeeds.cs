using System.Security.Cryptography;
using System.Text;
using TorchSharp;

namespace PartialLoRA.Adapters.Masks;

/// <summary>
/// Per-layer random streams derived from (seed, module path, purpose) by SHA-256, so a plan and a seed always give
/// the same masks and initial values for a module, whatever the order in which modules are visited.
/// </summary>
public static class LayerSeeds
{
    public static ulong Derive(long seed, string modulePath, string purpose)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}\u001f{purpose}\u001f{modulePath}"));
        return BitConverter.ToUInt64(hash, 0) >> 1;
    }

    /// <summary>A CPU generator for the stream; draw on the CPU and move, so results do not depend on the device.</summary>
    public static torch.Generator Generator(long seed, string modulePath, string purpose) =>
        new(Derive(seed, modulePath, purpose));
}
