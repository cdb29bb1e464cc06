using PartialLoRA.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Models.Clip;

/// <summary>
/// Builds the paper's prompt-initialised linear head the way OpenAI builds CLIP's zero-shot classifier: for each
/// class, every template filled with every name of the class (e.g. FER2013's synonyms) is encoded by the text tower,
/// each embedding is L2-normalised, they are averaged and the mean is normalised again. The head's rows are those
/// class embeddings times exp(logit_scale), its bias 0, so the classifier's logits on normalised image features
/// equal CLIP's zero-shot logits.
/// </summary>
public static class ClipZeroShotHead
{
    /// <returns>(classes, projection_dim) unit-norm class embeddings.</returns>
    public static Tensor ClassEmbeddings(ClipModel clip, ClipTokenizer tokenizer, IReadOnlyList<IReadOnlyList<string>> classNames,
        IReadOnlyList<string> templates, int batchSize = 256)
    {
        if (classNames.Count == 0) throw new ArgumentException("zero-shot head: no classes given");
        if (templates.Count == 0) throw new ArgumentException("zero-shot head: no templates given");
        foreach (var t in templates)
            if (!t.Contains("{}")) throw new ArgumentException($"zero-shot head: template '{t}' has no '{{}}' placeholder for the class name");
        var device = clip.logit_scale.device;
        using var _ = torch.no_grad();
        var wasTraining = clip.training;
        clip.eval();
        try
        {
            var rows = new List<Tensor>();
            foreach (var names in classNames)
            {
                if (names.Count == 0) throw new ArgumentException("zero-shot head: a class has no name");
                using var scope = torch.NewDisposeScope();
                var prompts = names.SelectMany(n => templates.Select(t => t.Replace("{}", n))).ToList();
                var feats = new List<Tensor>();
                for (int i = 0; i < prompts.Count; i += batchSize)
                {
                    var (ids, mask) = tokenizer.EncodeBatch(prompts.Skip(i).Take(batchSize).ToList(), device);
                    feats.Add(nn.functional.normalize(clip.GetTextFeatures(ids, mask), p: 2, dim: -1));
                }
                var mean = torch.cat(feats, 0).mean([0]);
                rows.Add((mean / mean.norm()).MoveToOuterDisposeScope());
            }
            return torch.stack(rows, 0);
        }
        finally
        {
            clip.train(wasTraining);
        }
    }

    /// <summary>
    /// A <see cref="ClipVisionClassifier"/> holding a copy of <paramref name="clip"/>'s vision tower and projection,
    /// with its classifier initialised from the class prompts.
    /// </summary>
    public static ClipVisionClassifier Build(ClipModel clip, ClipTokenizer tokenizer, IReadOnlyList<IReadOnlyList<string>> classNames,
        IReadOnlyList<string> templates, IReadOnlyList<string>? labels = null)
    {
        labels ??= classNames.Select(n => n[0]).ToList();
        var head = new ClipVisionClassifier(clip.Config.Vision, clip.Config.ProjectionDim, labels);
        head.to(clip.logit_scale.device);
        using (torch.no_grad())
        {
            var target = head.state_dict();
            foreach (var (name, t) in clip.state_dict())
                if (target.TryGetValue(name, out var dst)) dst.copy_(t);
        }
        using var w = ClassEmbeddings(clip, tokenizer, classNames, templates);
        using var scale = clip.logit_scale.detach().exp();
        using var weight = w * scale;
        head.SetClassifier(weight);
        return head;
    }
}
