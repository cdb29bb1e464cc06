namespace PartialLoRA.Text;

/// <summary>HF's default truncation ("longest_first"): drop tokens from the end of the longer sequence until the pair fits.</summary>
public static class PairTruncation
{
    public static (List<int> A, List<int>? B) LongestFirst(List<int> a, List<int>? b, int budget)
    {
        if (budget < 0) budget = 0;
        if (b is null)
        {
            if (a.Count > budget) a = a.GetRange(0, budget);
            return (a, null);
        }
        int la = a.Count, lb = b.Count;
        while (la + lb > budget)
        {
            if (la > lb) la--;
            else lb--;
        }
        return (a.GetRange(0, la), b.GetRange(0, lb));
    }
}
