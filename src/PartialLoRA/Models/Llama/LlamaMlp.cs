using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Llama;

/// <summary>HF <c>LlamaMLP</c> (SwiGLU): down_proj(act(gate_proj(x)) · up_proj(x)), act = SiLU.</summary>
public sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
    public nn.Module<Tensor, Tensor> gate_proj;
    public nn.Module<Tensor, Tensor> up_proj;
    public nn.Module<Tensor, Tensor> down_proj;

    private readonly Func<Tensor, Tensor> act;
    private readonly double std;

    public LlamaMlp(LlamaConfig c) : base(nameof(LlamaMlp))
    {
        gate_proj = nn.Linear(c.HiddenSize, c.IntermediateSize, hasBias: c.MlpBias);
        up_proj = nn.Linear(c.HiddenSize, c.IntermediateSize, hasBias: c.MlpBias);
        down_proj = nn.Linear(c.IntermediateSize, c.HiddenSize, hasBias: c.MlpBias);
        act = Activations.Get(c.HiddenAct);
        std = c.InitializerRange;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return down_proj.call(act(gate_proj.call(x)) * up_proj.call(x)).MoveToOuterDisposeScope();
    }

    internal void InitWeights(Generator g)
    {
        foreach (var m in new[] { gate_proj, up_proj, down_proj }) HfInit.Linear(m, std, g);
    }
}
