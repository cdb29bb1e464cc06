using System.Text.Json.Nodes;
using PartialLoRA.Training;

namespace PartialLoRA.Experiments.Methods;

/// <summary>The linear-probe reference: the backbone frozen, only the task head (the model's head modules) trained.</summary>
public sealed class LinearProbe : IMethod
{
    public string Name => "linear-probe";
    public string Description => "linear-probe reference: backbone frozen, only the classification head trained";

    public JsonObject Normalize(JsonFields options)
    {
        options.RejectUnknown();
        return new JsonObject();
    }

    public TrainableSetup Apply(MethodContext context, JsonObject options)
    {
        var model = context.Model;
        var named = model.Classifier.Module.named_parameters().ToList();
        var head = named.Where(p => ModulePaths.IsUnder(p.name, model.HeadModules)).ToList();
        if (head.Count == 0)
            throw new InvalidOperationException(
                $"model '{model.Name}': no parameters under its head modules ({string.Join(", ", model.HeadModules)}); cannot linear-probe");
        foreach (var (_, p) in named) p.requires_grad = false;
        foreach (var (_, p) in head) p.requires_grad = true;
        return TrainableSetup.ForParameters(head);
    }
}
