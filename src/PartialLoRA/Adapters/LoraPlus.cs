using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PartialLoRA.Adapters;

/// <summary>
/// LoRA+ (Hayou et al. 2024; PEFT's <c>create_loraplus_optimizer</c>): B gets a learning rate λ times A's.
/// Parameters split as PEFT does: <c>lora_B</c> and every 1-D parameter (DoRA magnitudes, biases of modules to
/// save) go to the B groups — with weight decay unless they are biases or LayerNorm parameters — and everything
/// else (A) keeps the base rate. PEFT's separate group for LoRA-adapted embeddings does not arise here (adapters
/// wrap Linear layers only).
/// </summary>
public static class LoraPlus
{
    /// <summary>The trainable parameters split into LoRA+'s groups.</summary>
    public sealed record Groups(
        IReadOnlyList<(string Name, Parameter Parameter)> A,
        IReadOnlyList<(string Name, Parameter Parameter)> B,
        IReadOnlyList<(string Name, Parameter Parameter)> BNoDecay);

    public static Groups Split(AdapterModel model)
    {
        var layerNormParams = model.Model.named_modules()
            .Where(m => m.module is LayerNorm)
            .SelectMany(m => m.module.named_parameters().Select(p => m.name == "" ? p.name : m.name + "." + p.name))
            .ToHashSet();
        var a = new List<(string, Parameter)>();
        var b = new List<(string, Parameter)>();
        var bNoDecay = new List<(string, Parameter)>();
        foreach (var (name, p) in model.NamedTrainableParameters())
        {
            if (name.Contains("lora_B") || p.ndim == 1)
            {
                var decays = !name.Contains("bias") && !layerNormParams.Contains(name);
                (decays ? b : bNoDecay).Add((name, p));
            }
            else a.Add((name, p));
        }
        return new Groups(a, b, bNoDecay);
    }

    /// <summary>AdamW parameter groups: A at <paramref name="lr"/>, B at λ·lr (B's no-decay group with weight decay 0).</summary>
    public static IList<AdamW.ParamGroup> AdamWGroups(AdapterModel model, double lr, double ratio, double weightDecay = 0)
    {
        if (!(ratio > 0)) throw new ArgumentException($"LoRA+ ratio λ must be positive, got {ratio}");
        if (!(lr > 0)) throw new ArgumentException($"LoRA+ learning rate must be positive, got {lr}");
        var g = Split(model);
        var groups = new List<AdamW.ParamGroup>();
        void Add(IReadOnlyList<(string Name, Parameter Parameter)> ps, double groupLr, double wd)
        {
            if (ps.Count > 0)
                groups.Add(new AdamW.ParamGroup(ps.Select(p => p.Parameter), new AdamW.Options { LearningRate = groupLr, weight_decay = wd }));
        }
        Add(g.A, lr, weightDecay);
        Add(g.B, lr * ratio, weightDecay);
        Add(g.BNoDecay, lr * ratio, 0);
        return groups;
    }

    /// <summary>An AdamW over LoRA+'s groups.</summary>
    public static optim.Optimizer CreateAdamW(AdapterModel model, double lr, double ratio, double weightDecay = 0,
        double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8) =>
        torch.optim.AdamW(AdamWGroups(model, lr, ratio, weightDecay), lr, beta1, beta2, eps, weightDecay);
}
