using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Models;

/// <summary>
/// A model in Hugging Face layout: its module's state_dict names equal HF's, it can write its config.json, and it
/// says how an HF checkpoint maps onto it (<see cref="HfLoadPolicy"/>).
/// </summary>
public interface IHfModel
{
    nn.Module Module { get; }

    /// <summary>config.json's <c>model_type</c> (clip, deberta-v2, llama).</summary>
    string ModelType { get; }

    /// <summary>The config.json content that rebuilds this model.</summary>
    JsonObject ConfigJson();

    HfLoadPolicy LoadPolicy { get; }
}
