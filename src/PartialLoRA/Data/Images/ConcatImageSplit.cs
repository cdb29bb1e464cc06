namespace PartialLoRA.Data.Images;

/// <summary>Several splits of one dataset read as one (the few-shot pool of datasets with an official val split,
/// e.g. Flowers102's train + val); row i of the second part is row Count(first) + i.</summary>
public sealed class ConcatImageSplit : ImageSplit
{
    private readonly ImageSplit[] parts;
    private readonly int[] starts;

    public ConcatImageSplit(string split, params ImageSplit[] parts)
        : base(Same(parts).Dataset, split, parts[0].ClassNames, parts.SelectMany(p => p.Labels).ToArray(), parts[0].Channels)
    {
        this.parts = parts;
        starts = new int[parts.Length];
        for (int i = 1; i < parts.Length; i++) starts[i] = starts[i - 1] + parts[i - 1].Count;
    }

    private static ImageSplit Same(ImageSplit[] parts)
    {
        if (parts.Length == 0) throw new ArgumentException("nothing to concatenate");
        foreach (var p in parts.Skip(1))
            if (p.Dataset != parts[0].Dataset || !p.ClassNames.SequenceEqual(parts[0].ClassNames) || p.Channels != parts[0].Channels)
                throw new ArgumentException($"cannot concatenate {p.Dataset}/{p.Split} with {parts[0].Dataset}/{parts[0].Split}: different datasets or classes");
        return parts[0];
    }

    private (ImageSplit Part, int Row) Locate(int index)
    {
        var k = Array.FindLastIndex(starts, s => s <= index);
        return (parts[k], index - starts[k]);
    }

    public override string SourceFingerprint => string.Join("+", parts.Select(p => p.SourceFingerprint));

    public override string Describe(int index)
    {
        var (p, r) = Locate(index);
        return p.Describe(r);
    }

    protected override void Decode(IReadOnlyList<int> indices, Action<int, RawImage> consume, int parallelism, CancellationToken ct)
    {
        var byPart = indices.Select((row, pos) => (Loc: Locate(row), Pos: pos)).GroupBy(t => t.Loc.Part);
        foreach (var g in byPart)
        {
            var items = g.ToArray();
            g.Key.DecodeRows(items.Select(t => t.Loc.Row).ToArray(), (j, img) => consume(items[j].Pos, img), parallelism, ct);
        }
    }
}
