namespace PartialLoRA.Text;

/// <summary>
/// GPT-2's byte ↔ unicode alphabet (used by CLIP): the 188 printable bytes map to themselves, the other 68 to
/// U+0100 upwards, so every byte string is a string of visible characters. The order (printables first) is the
/// order of CLIP's first 256 vocabulary entries.
/// </summary>
public static class ByteLevel
{
    public static readonly IReadOnlyList<KeyValuePair<byte, char>> ByteToUnicode = Build();

    private static List<KeyValuePair<byte, char>> Build()
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1)
            .Concat(Enumerable.Range('¡', '¬' - '¡' + 1))
            .Concat(Enumerable.Range('®', 'ÿ' - '®' + 1)).ToList();
        var map = printable.Select(b => KeyValuePair.Create((byte)b, (char)b)).ToList();
        int n = 0;
        for (int b = 0; b < 256; b++)
            if (!printable.Contains(b)) map.Add(KeyValuePair.Create((byte)b, (char)(256 + n++)));
        return map;
    }
}
