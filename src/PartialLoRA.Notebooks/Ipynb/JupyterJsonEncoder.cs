using System.Text.Encodings.Web;

namespace PartialLoRA.Notebooks;

/// <summary>
/// Escapes strings the way Jupyter (Python <c>json.dumps(ensure_ascii=False)</c>) and VS Code (<c>JSON.stringify</c>)
/// do: only <c>"</c>, <c>\</c> and control characters; everything else is written as UTF-8. Files saved by either
/// therefore round-trip byte for byte, and executed notebooks diff cleanly.
/// </summary>
internal sealed class JupyterJsonEncoder : JavaScriptEncoder
{
    public static readonly JupyterJsonEncoder Instance = new();

    public override int MaxOutputCharactersPerInputCharacter => 12;

    public override bool WillEncode(int unicodeScalar) => unicodeScalar < 0x20 || unicodeScalar is '"' or '\\';

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
    {
        for (var i = 0; i < textLength; i++)
        {
            var c = text[i];
            if (c < 0x20 || c is '"' or '\\' || char.IsSurrogate(c) && !IsValidPair(text, textLength, i)) return i;
            if (char.IsHighSurrogate(c)) i++;
        }
        return -1;
    }

    private static unsafe bool IsValidPair(char* text, int length, int i) =>
        char.IsHighSurrogate(text[i]) && i + 1 < length && char.IsLowSurrogate(text[i + 1]);

    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
    {
        string s;
        if (!WillEncode(unicodeScalar))
        {
            // Not ours to escape: write the scalar itself (the writer asks for unpaired surrogates too).
            s = unicodeScalar <= 0xFFFF ? ((char)unicodeScalar).ToString() : char.ConvertFromUtf32(unicodeScalar);
        }
        else
        {
            s = unicodeScalar switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\b' => "\\b",
                '\f' => "\\f",
                _ => $"\\u{unicodeScalar:x4}",
            };
        }
        if (s.Length > bufferLength)
        {
            numberOfCharactersWritten = 0;
            return false;
        }
        for (var i = 0; i < s.Length; i++) buffer[i] = s[i];
        numberOfCharactersWritten = s.Length;
        return true;
    }
}
