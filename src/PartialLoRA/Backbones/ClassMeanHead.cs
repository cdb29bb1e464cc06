using PartialLoRA.Data;
using PartialLoRA.Models.Clip;
using PartialLoRA.Models.Deberta;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Backbones;

/// <summary>
/// The lab stand-in for the paper's prompt-initialised head (§5: "a linear classifier on top of the image features,
/// initializing it with language prompts from the text encoder"). The lab backbones have no text tower aligned with
/// their image features, so each class's row is built from the few-shot set D_t itself: the mean feature of the
/// class's examples (nearest-class-mean). The untrained model is then a class-mean classifier, and Algorithm 1's
/// baseline μ is its accuracy on D_t. Differences from the paper: the rows come from the labelled shots rather than
/// from class names, so μ is a resubstitution accuracy on the very examples that built the head.
/// </summary>
public static class ClassMeanHead
{
    /// <summary>exp(logit_scale) of trained CLIP (logit_scale = ln 100): the scale of CLIP's zero-shot head rows.</summary>
    public const double ClipScale = 100;

    /// <summary>(classes, D) mean of the feature rows per label; every class needs at least one example.</summary>
    public static Tensor ClassMeans(Tensor features, Tensor labels, int classes)
    {
        if (features.dim() != 2 || labels.dim() != 1 || features.shape[0] != labels.shape[0])
            throw new ArgumentException($"class means: features must be (N, D) and labels (N); got [{string.Join(",", features.shape)}] and [{string.Join(",", labels.shape)}]");
        using var scope = torch.NewDisposeScope();
        var y = labels.to(features.device);
        var counts = torch.bincount(y, minlength: classes);
        if (counts.shape[0] != classes) throw new ArgumentException($"class means: a label is ≥ {classes}");
        var empty = counts.eq(0).nonzero();
        if (empty.shape[0] > 0) throw new ArgumentException($"class means: class {empty[0, 0].item<long>()} has no example in the few-shot set");
        var sums = torch.zeros(classes, features.shape[1], dtype: features.dtype, device: features.device).index_add_(0, y, features, 1);
        return (sums / counts.unsqueeze(1).to(features.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// CLIP-style head: row c = <paramref name="scale"/> · m_c / ‖m_c‖ with m_c the mean of the class's L2-normalised
    /// image features, bias 0 — so logits are scaled cosine similarities to the class means, as CLIP's zero-shot
    /// logits are to the class prompts' embeddings.
    /// </summary>
    public static void Initialize(ClipVisionClassifier model, ClassificationSet fewShot, IBatchTransform? transform, double scale = ClipScale)
    {
        if (!model.NormalizeFeatures) throw new ArgumentException("class-mean head: the CLIP classifier must normalise its features (normalize_features = true)");
        CheckClasses(model.NumClasses, fewShot);
        using var scope = torch.NewDisposeScope();
        var f = BackboneEval.Map(fewShot, transform, 256, false, model, (x, _) => model.Features(model.vision_model.Forward(x).LastHidden));
        var means = ClassMeans(f, fewShot.Labels, model.NumClasses);
        var rows = nn.functional.normalize(means, p: 2, dim: 1) * scale;
        model.SetClassifier(rows.to(model.visual_projection.parameters().First().device));
    }

    /// <summary>
    /// DeBERTa head (pooler kept at its seeded initialisation): the classifier becomes the Gaussian class-mean rule on
    /// the pooled [CLS] features f — logit_c = (m_c·f − ½‖m_c‖²) / σ², i.e. −‖f − m_c‖² / (2σ²) up to a constant, with
    /// σ² the within-class variance per feature of the few-shot set — the nearest-class-mean classifier with
    /// calibrated logits.
    /// </summary>
    public static void Initialize(DebertaV2ForSequenceClassification model, ClassificationSet fewShot)
    {
        CheckClasses(model.NumClasses, fewShot);
        using var scope = torch.NewDisposeScope();
        var f = BackboneEval.Map(fewShot, null, 128, false, model, (ids, mask) => model.pooler.call(model.deberta.Forward(ids, mask)));
        var means = ClassMeans(f, fewShot.Labels, model.NumClasses);
        var variance = (f - means.index_select(0, fewShot.Labels)).pow(2).mean().item<float>();
        var inv = 1.0 / Math.Max(variance, 1e-12);
        var lin = (TorchSharp.Modules.Linear)model.classifier;
        using var noGrad = torch.no_grad();
        lin.weight!.copy_((means * inv).to(lin.weight.device));
        lin.bias!.copy_((means.pow(2).sum(1) * (-0.5 * inv)).to(lin.bias.device));
    }

    private static void CheckClasses(int modelClasses, ClassificationSet set)
    {
        if (set.NumClasses != modelClasses)
            throw new ArgumentException($"class-mean head: the model has {modelClasses} classes, {set.Name}/{set.Split} has {set.NumClasses}");
    }
}
