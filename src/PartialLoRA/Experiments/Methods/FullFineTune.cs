using System.Text.Json.Nodes;
using PartialLoRA.Training;

namespace PartialLoRA.Experiments.Methods;

/// <summary>The full fine-tuning reference: every parameter of the model is trained.</summary>
public sealed class FullFineTune : IMethod
{
    public string Name => "full";
    public string Description => "full fine-tuning reference: every parameter trained";

    public JsonObject Normalize(JsonFields options)
    {
        options.RejectUnknown();
        return new JsonObject();
    }

    public TrainableSetup Apply(MethodContext context, JsonObject options)
    {
        var named = context.Model.Classifier.Module.named_parameters().ToList();
        foreach (var (_, p) in named) p.requires_grad = true;
        return TrainableSetup.ForParameters(named);
    }
}
