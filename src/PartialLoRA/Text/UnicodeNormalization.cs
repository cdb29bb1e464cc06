using System.Text;

namespace PartialLoRA.Text;

/// <summary>
/// Guards the tokenizers that need Unicode normalisation (BERT's accent stripping, CLIP's NFC). In .NET's
/// globalization-invariant mode (<c>InvariantGlobalization=true</c> or <c>DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1</c>)
/// <see cref="string.Normalize(NormalizationForm)"/> silently returns its input unchanged, which would give wrong ids
/// for accented text; this turns that into an error.
/// </summary>
public static class UnicodeNormalization
{
    private static readonly bool Works = "\u00E9".Normalize(NormalizationForm.FormD).Length == 2;

    public static void Require(string tokenizer)
    {
        if (!Works)
            throw new InvalidOperationException(
                $"{tokenizer}: Unicode normalisation does not work in this process (.NET globalization-invariant mode), so accented " +
                "text would be tokenised wrongly; run with ICU (InvariantGlobalization=false, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT unset; Debian: libicu72)");
    }
}
