using System.Globalization;
using System.Text;

namespace PartialLoRA.Text;

/// <summary>
/// HF's BERT <c>BasicTokenizer</c>, code point by code point: drop NUL, U+FFFD and control characters (every
/// general category C* except tab/newline/carriage return, which are whitespace), map whitespace to spaces, put
/// spaces around CJK ideographs, split on whitespace, lower-case and strip accents (NFD, drop Mn), split off every
/// punctuation character (ASCII symbols and categories P*). Written here because Microsoft.ML.Tokenizers 2.0.1's
/// BertTokenizer deviates on real text (it deletes newlines instead of splitting on them, drops emoji instead of
/// mapping them to [UNK], and drops some ASCII symbols), which the HF-ids test exposes.
/// </summary>
public static class BertBasicTokenizer
{
    public static List<string> Tokenize(string text, bool lowerCase = true)
    {
        var cleaned = new StringBuilder(text.Length + 8);
        foreach (var r in text.EnumerateRunes())
        {
            var cp = r.Value;
            if (cp == 0 || cp == 0xFFFD || IsControl(r)) continue;
            if (IsWhitespace(r)) cleaned.Append(' ');
            else if (IsCjk(cp)) cleaned.Append(' ').Append(r.ToString()).Append(' ');
            else cleaned.Append(r.ToString());
        }
        var words = new List<string>();
        foreach (var token in cleaned.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var t = lowerCase ? StripAccents(token.ToLowerInvariant()) : token;
            SplitOnPunctuation(t, words);
        }
        return words;
    }

    private static void SplitOnPunctuation(string token, List<string> output)
    {
        var current = new StringBuilder();
        foreach (var r in token.EnumerateRunes())
        {
            if (IsPunctuation(r))
            {
                if (current.Length > 0) { output.Add(current.ToString()); current.Clear(); }
                output.Add(r.ToString());
            }
            else current.Append(r.ToString());
        }
        if (current.Length > 0) output.Add(current.ToString());
    }

    private static string StripAccents(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var r in s.Normalize(NormalizationForm.FormD).EnumerateRunes())
            if (Rune.GetUnicodeCategory(r) != UnicodeCategory.NonSpacingMark) sb.Append(r.ToString());
        return sb.ToString();
    }

    private static bool IsWhitespace(Rune r) =>
        r.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(r) == UnicodeCategory.SpaceSeparator;

    // Python's unicodedata categories starting with "C": Cc, Cf, Cs, Co, Cn
    private static bool IsControl(Rune r)
    {
        if (r.Value is '\t' or '\n' or '\r') return false;
        return Rune.GetUnicodeCategory(r) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
    }

    private static bool IsPunctuation(Rune r)
    {
        var cp = r.Value;
        if (cp is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126) return true;
        return Rune.GetUnicodeCategory(r) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    // The CJK Unified Ideographs blocks BERT spaces out (not Hiragana/Katakana/Hangul).
    private static bool IsCjk(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}
