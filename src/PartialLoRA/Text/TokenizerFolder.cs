using System.Text.Json;

namespace PartialLoRA.Text;

/// <summary>
/// The tokenizer of an HF model folder, by the files it holds: <c>spm.model</c> → DeBERTa-v3 SentencePiece,
/// <c>tokenizer.model</c> → LLaMA SentencePiece, <c>vocab.json</c> + <c>merges.txt</c> → CLIP BPE, <c>vocab.txt</c> →
/// BERT WordPiece (lower-cased unless tokenizer_config.json says <c>"do_lower_case": false</c>).
/// </summary>
public static class TokenizerFolder
{
    public static ITextTokenizer Load(string folder)
    {
        string F(string name) => Path.Combine(folder, name);
        if (File.Exists(F("spm.model"))) return SentencePieceTextTokenizer.Load(F("spm.model"), SentencePieceTextTokenizer.Layout.DebertaV3);
        if (File.Exists(F("tokenizer.model"))) return SentencePieceTextTokenizer.Load(F("tokenizer.model"), SentencePieceTextTokenizer.Layout.Llama);
        if (File.Exists(F("vocab.json")) && File.Exists(F("merges.txt"))) return ClipTokenizer.FromHfFiles(F("vocab.json"), F("merges.txt"));
        if (File.Exists(F("vocab.txt"))) return BertWordPieceTokenizer.FromVocab(F("vocab.txt"), LowerCase(F("tokenizer_config.json")));
        throw new FileNotFoundException(
            $"{folder}: no tokenizer files (expected spm.model, tokenizer.model, vocab.json + merges.txt, or vocab.txt); " +
            "download them with the model (`partial-lora hub download <repo-id>` fetches them)", folder);
    }

    private static bool LowerCase(string configPath)
    {
        if (!File.Exists(configPath)) return true;
        using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
        return !doc.RootElement.TryGetProperty("do_lower_case", out var v) || v.ValueKind != JsonValueKind.False;
    }
}
