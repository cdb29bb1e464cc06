using PartialLoRA.Data.FewShot;

namespace PartialLoRA.Data;

/// <summary>
/// <c>train_limit</c> / <c>test_limit</c> (CPU smoke runs): a seeded random subset of n rows of a set, drawn by
/// <c>SplitMix64.For(seed, limit name, dataset, split)</c> and kept in the set's order. Random because a split's own
/// order keeps whole classes together. Image splits draw the rows before decoding, so only they are decoded.
/// </summary>
public static class RowLimit
{
    /// <summary>The kept positions (ascending) among <paramref name="count"/> rows; null when the limit keeps them all.</summary>
    public static int[]? Positions(int count, int? limit, ulong seed, string name, string dataset, string split)
    {
        if (limit is not { } n || n >= count) return null;
        if (n < 1) throw new ArgumentOutOfRangeException(name, n, $"{dataset}/{split}: {name} must be ≥ 1 (or null for the whole split)");
        return SplitMix64.For(seed, name, dataset, split).Permutation(count).Take(n).Order().ToArray();
    }

    /// <summary>The name of the limited set.</summary>
    public static string SplitName(string split, string name, int n) => $"{split}[{name}={n}]";

    /// <summary>The limited copy of a decoded <paramref name="set"/> (which is disposed), or the set itself.</summary>
    public static ClassificationSet Apply(ClassificationSet set, int? limit, ulong seed, string name)
    {
        if (Positions((int)set.Count, limit, seed, name, set.Name, set.Split) is not { } rows) return set;
        var subset = set.Subset(rows.Select(i => (long)i).ToList(), SplitName(set.Split, name, rows.Length));
        set.Dispose();
        return subset;
    }
}
