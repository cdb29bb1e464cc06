using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Adapters.Layers;

/// <summary>Initial values, drawn on the CPU from an explicit generator (same values on every device).</summary>
internal static class Init
{
    /// <summary>nn.init.kaiming_uniform_(a=√5) on an (out, in) matrix: U(−1/√in, 1/√in), torch's default for Linear.</summary>
    public static Tensor LinearDefault(long rows, long cols, Generator g)
    {
        var bound = cols == 0 ? 0 : 1.0 / Math.Sqrt(cols);
        return torch.empty(rows, cols).uniform_(-bound, bound, generator: g);
    }

    /// <summary>PEFT VeRA's <c>_kaiming_init</c>: gain √2, fan_in = columns, U(−√(6/fan), √(6/fan)).</summary>
    public static Tensor KaimingUniformRelu(long rows, long cols, Generator g)
    {
        var bound = Math.Sqrt(3.0) * Math.Sqrt(2.0) / Math.Sqrt(cols);
        return torch.empty(rows, cols).uniform_(-bound, bound, generator: g);
    }

    public static Tensor Normal(long rows, long cols, double std, Generator g) =>
        torch.empty(rows, cols).normal_(0, std, generator: g);

    /// <summary>LoRA's A (r×n) and B (m×r) per <see cref="LoraInit"/>, as PEFT's <c>reset_lora_parameters</c>.</summary>
    public static (Tensor A, Tensor B) Lora(LoraInit init, int rows, int cols, int rank, Generator g)
    {
        var a = init switch
        {
            LoraInit.Gaussian => Normal(rank, cols, 1.0 / rank, g),
            _ => LinearDefault(rank, cols, g),
        };
        var b = init == LoraInit.Random ? LinearDefault(rows, rank, g) : torch.zeros(rows, rank);
        return (a, b);
    }
}
