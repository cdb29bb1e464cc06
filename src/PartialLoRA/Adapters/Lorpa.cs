using PartialLoRA.Adapters.Layers;
using PartialLoRA.Adapters.Masks;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Adapters;

/// <summary>Where LoRPA ranks magnitudes.</summary>
public enum LorpaScope
{
    /// <summary>Each A and each B keeps the same fraction of its entries.</summary>
    PerMatrix,

    /// <summary>One magnitude threshold over every A and B entry of the model.</summary>
    Global,
}

/// <summary>
/// LoRPA (Kim et al. 2024, "Lottery Rank-Pruning Adaptation"): train LoRA at a large rank, prune the adapter's
/// entries of smallest magnitude, then retrain with the pruned structure (element masks on A and B, fixed).
/// Optionally rewind the surviving entries to their values at injection (lottery-ticket rewinding). Works on
/// unmasked dense LoRA layers; create a fresh optimizer after pruning (old Adam moments would move the pruned
/// entries, which the masks keep out of the forward pass but not out of the stored tensors).
/// </summary>
public static class Lorpa
{
    /// <summary>Copies of every layer's A and B, e.g. right after injection, for rewinding.</summary>
    public sealed class Snapshot : IDisposable
    {
        internal Dictionary<string, (Tensor A, Tensor B)> Values { get; } = new();

        /// <summary>The captured A and B (CPU) of the layer at <paramref name="modulePath"/>.</summary>
        public (Tensor A, Tensor B) this[string modulePath] =>
            Values.TryGetValue(modulePath, out var v) ? v : throw new KeyNotFoundException($"LoRPA snapshot: no layer '{modulePath}'");

        public void Dispose()
        {
            foreach (var (a, b) in Values.Values)
            {
                a.Dispose();
                b.Dispose();
            }
        }
    }

    public static Snapshot Capture(AdapterModel model)
    {
        var s = new Snapshot();
        foreach (var l in LoraLayers(model))
            s.Values[l.ModulePath] = (l.A.detach().cpu().clone().DetachFromDisposeScope(), l.B.detach().cpu().clone().DetachFromDisposeScope());
        return s;
    }

    /// <summary>
    /// Keeps the ⌈<paramref name="keepFraction"/>·count⌉ largest-magnitude entries (among those still kept) and
    /// fixes element masks on every layer; the config's masks become kind <c>lorpa</c>.
    /// </summary>
    public static void Prune(AdapterModel model, double keepFraction, LorpaScope scope = LorpaScope.PerMatrix, Snapshot? rewindTo = null)
    {
        if (!(keepFraction > 0 && keepFraction <= 1)) throw new ArgumentException($"LoRPA keep fraction must lie in (0, 1], got {keepFraction}");
        var layers = LoraLayers(model);
        var current = layers.ToDictionary(l => l, l => (A: KeptOf(l, true), B: KeptOf(l, false)));
        var magnitudes = layers.ToDictionary(l => l, l => (A: Abs(l.A), B: Abs(l.B)));

        var masks = new Dictionary<string, ElementMask>();
        if (scope == LorpaScope.PerMatrix)
        {
            foreach (var l in layers)
                masks[l.ModulePath] = new ElementMask(l.OutFeatures, l.InFeatures, l.Rank,
                    KeepTop(magnitudes[l].A, current[l].A, keepFraction), KeepTop(magnitudes[l].B, current[l].B, keepFraction));
        }
        else
        {
            // One ranking over all entries: concatenate, keep the top fraction, split back.
            var all = layers.SelectMany(l => magnitudes[l].A.Concat(magnitudes[l].B)).ToArray();
            var kept = layers.SelectMany(l => current[l].A.Concat(current[l].B)).ToArray();
            var keep = KeepTop(all, kept, keepFraction);
            var at = 0;
            foreach (var l in layers)
            {
                var na = current[l].A.Length;
                var nb = current[l].B.Length;
                masks[l.ModulePath] = new ElementMask(l.OutFeatures, l.InFeatures, l.Rank, keep[at..(at + na)], keep[(at + na)..(at + na + nb)]);
                at += na + nb;
            }
        }

        foreach (var l in layers)
        {
            if (rewindTo != null)
            {
                if (!rewindTo.Values.TryGetValue(l.ModulePath, out var v))
                    throw new ArgumentException($"LoRPA rewind: the snapshot has no values for '{l.ModulePath}'");
                using var _ = torch.no_grad();
                l.A.copy_(v.A);
                l.B.copy_(v.B);
            }
            l.SetElementMask(masks[l.ModulePath]);
        }
        model.Config = ((LoraConfig)model.Config) with { Masks = new StoredElementMasks(masks, "lorpa"), Storage = MaskStorage.Dense };
    }

    private static List<LoraLinear> LoraLayers(AdapterModel model)
    {
        if (model.Config is not LoraConfig { UseDora: false })
            throw new InvalidOperationException($"LoRPA prunes LoRA adapters; this model has {model.Config.PeftType}{(model.Config is LoraConfig { UseDora: true } ? " (DoRA)" : "")}");
        var layers = new List<LoraLinear>();
        foreach (var l in model.Layers)
        {
            if (l is not LoraLinear lora || lora.RowColMask != null)
                throw new InvalidOperationException($"LoRPA: '{l.ModulePath}' is not an unmasked or element-masked dense LoRA layer");
            layers.Add(lora);
        }
        return layers;
    }

    private static bool[] KeptOf(LoraLinear l, bool a) =>
        l.ElementMask is { } m ? (a ? m.KeepA : m.KeepB) : Enumerable.Repeat(true, (int)(a ? l.A.numel() : l.B.numel())).ToArray();

    private static float[] Abs(Tensor t)
    {
        using var abs = t.detach().abs().to(ScalarType.Float32).cpu().contiguous();
        return abs.data<float>().ToArray();
    }

    // Largest magnitudes first, ties broken by position, so exactly ⌈fraction·kept⌉ survive.
    private static bool[] KeepTop(float[] magnitude, bool[] kept, double fraction)
    {
        var candidates = Enumerable.Range(0, magnitude.Length).Where(i => kept[i]).ToList();
        var k = (int)Math.Ceiling(fraction * candidates.Count);
        var keep = new bool[magnitude.Length];
        foreach (var i in candidates.OrderByDescending(i => magnitude[i]).ThenBy(i => i).Take(k)) keep[i] = true;
        return keep;
    }
}
