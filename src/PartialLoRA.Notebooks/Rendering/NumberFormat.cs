using System.Globalization;

namespace PartialLoRA.Notebooks.Rendering;

/// <summary>
/// How a column of numbers is printed: one number of decimals for the whole column (so digits line up), chosen to
/// show four significant digits of its largest value; integers without decimals; very large or very small
/// magnitudes in scientific notation.
/// </summary>
public static class NumberFormat
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Func<double, string> ForColumn(IEnumerable<double> values)
    {
        var finite = values.Where(double.IsFinite).ToList();
        if (finite.Count == 0) return Special;
        var maxAbs = finite.Max(Math.Abs);
        if (finite.All(v => v == Math.Round(v)) && maxAbs < 1e15) return v => double.IsFinite(v) ? v.ToString("0", Inv) : Special(v);
        if (maxAbs >= 1e6 || maxAbs < 1e-3) return v => double.IsFinite(v) ? v.ToString("0.000e+00", Inv) : Special(v);
        var decimals = Math.Clamp(3 - (int)Math.Floor(Math.Log10(maxAbs)), 0, 6);
        var fmt = "F" + decimals;
        return v => double.IsFinite(v) ? v.ToString(fmt, Inv) : Special(v);
    }

    private static string Special(double v) => double.IsNaN(v) ? "NaN" : v > 0 ? "∞" : "-∞";
}
