using PartialLoRA.Data.FewShot;
using PartialLoRA.Data.Glue;
using PartialLoRA.Data.Registry;

namespace PartialLoRA.Backbones;

/// <summary>
/// The unlabelled text the lab text backbone is pretrained on: the sentences of the GLUE training files only —
/// SST-2 train (the offline train.tsv + dev.tsv, which together are GLUE's official SST-2 train set), CoLA train
/// (train.tsv + val.tsv), both sentences of MRPC train, and question + sentence of the training part of QNLI's
/// seeded dev split (<see cref="GlueSplits.SplitDev"/>) — never a label, never a dev/test split used for evaluation.
/// Exact duplicates are dropped. A seeded <c>heldOutFraction</c> of the unique sentences is held out for the
/// masked-token accuracy (drawn among sentences of ≥ <see cref="MinHeldOutWords"/> words); because SST-2's training set consists of overlapping phrases of the same sentences,
/// every training sentence that contains a held-out sentence or is contained in one is removed as well.
/// </summary>
public sealed class MlmCorpus
{
    public required IReadOnlyList<string> Train { get; init; }
    public required IReadOnlyList<string> HeldOut { get; init; }

    /// <summary>Unique sentences per source before the hold-out, for the record.</summary>
    public required IReadOnlyDictionary<string, int> Sources { get; init; }

    public required int RemovedForOverlap { get; init; }

    public string Description =>
        $"unique sentences: {string.Join(", ", Sources.Select(kv => $"{kv.Key} {kv.Value}"))}; held out {HeldOut.Count}; " +
        $"{RemovedForOverlap} training sentences overlapping a held-out one removed; training {Train.Count}";

    public static MlmCorpus Load(string dataRoot, double heldOutFraction, ulong seed, ulong qnliSplitSeed)
    {
        if (heldOutFraction is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(heldOutFraction), heldOutFraction, "must be in (0, 1)");
        var parts = new List<(string Source, IEnumerable<string> Sentences)>
        {
            ("SST-2 train", Sentences(DatasetRegistry.ReadGlue("sst2", "train", dataRoot))),
            ("CoLA train", Sentences(DatasetRegistry.ReadGlue("cola", "train", dataRoot))),
            ("MRPC train", Sentences(DatasetRegistry.ReadGlue("mrpc", "train", dataRoot))),
            ($"QNLI dev-train (split seed {qnliSplitSeed})", Sentences(DatasetRegistry.ReadGlue("qnli", "dev-train", dataRoot, qnliSplitSeed))),
        };
        return Build(parts, heldOutFraction, seed);
    }

    /// <summary>The corpus from named sentence sources (what <see cref="Load"/> does after reading the files).</summary>
    public static MlmCorpus Build(IReadOnlyList<(string Source, IEnumerable<string> Sentences)> parts, double heldOutFraction, ulong seed)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var all = new List<string>();
        var sources = new Dictionary<string, int>();
        foreach (var (source, sentences) in parts)
        {
            int before = all.Count;
            foreach (var s in sentences)
            {
                var t = s.Trim();
                if (t.Length > 0 && seen.Add(t)) all.Add(t);
            }
            sources[source] = all.Count - before;
        }
        if (all.Count < 2) throw new InvalidDataException($"MLM corpus: {all.Count} sentence(s) found; need at least 2");
        var eligible = Enumerable.Range(0, all.Count).Where(i => Words(all[i]) >= MinHeldOutWords).ToArray();
        var k = Math.Max(1, (int)Math.Round(heldOutFraction * all.Count));
        if (eligible.Length < k)
            throw new InvalidDataException($"MLM corpus: {eligible.Length} sentences of ≥ {MinHeldOutWords} words; {k} are needed for the held-out set");
        var perm = SplitMix64.For(seed, "mlm-corpus", "held-out").Permutation(eligible.Length);
        var heldRows = perm.Take(k).Select(j => eligible[j]).Order().ToList();
        var heldOut = heldRows.Select(i => all[i]).ToList();
        var heldLower = heldOut.Select(h => h.ToLowerInvariant()).ToList();
        var isHeld = heldRows.ToHashSet();
        var train = new List<string>();
        int removed = 0;
        for (int i = 0; i < all.Count; i++)
        {
            if (isHeld.Contains(i)) continue;
            var lower = all[i].ToLowerInvariant();
            if (heldLower.Any(h => Overlaps(lower, h))) removed++;
            else train.Add(all[i]);
        }
        return new MlmCorpus { Train = train, HeldOut = heldOut, Sources = sources, RemovedForOverlap = removed };
    }

    /// <summary>Held-out sentences have at least this many words (SST-2's one- and two-word phrases would say little).</summary>
    public const int MinHeldOutWords = 8;

    private static int Words(string s) => s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;

    private static bool Overlaps(string a, string b) =>
        a.Length >= b.Length ? a.Contains(b, StringComparison.Ordinal) : b.Contains(a, StringComparison.Ordinal);

    private static IEnumerable<string> Sentences(GlueSplit split) =>
        split.Examples.SelectMany(e => e.Pair is null ? [e.Text] : new[] { e.Text, e.Pair });
}
