using System.Text.Json;
using PartialLoRA.Text;

namespace PartialLoRA.Tests.Text;

public class TokenizerFolderTests
{
    public static string? DataMissing => TestData.Missing(TestData.ClipVocab) ?? TestData.Missing(TestData.BertVocab);

    [RequiresFact(typeof(TokenizerFolderTests), nameof(DataMissing))]
    public void Loads_the_tokenizer_an_HF_folder_holds()
    {
        // an openai/clip-* style folder: vocab.json + merges.txt derived from OpenAI's merges file, as HF ships them
        var openai = ClipTokenizer.FromOpenAiVocabulary(TestData.ClipVocab);
        var clipDir = TestSupport.TempDir("tokclip");
        var vocab = Enumerable.Range(0, openai.VocabSize).ToDictionary(openai.TokenOf, i => i);
        File.WriteAllText(Path.Combine(clipDir, "vocab.json"), JsonSerializer.Serialize(vocab));
        using (var gz = new System.IO.Compression.GZipStream(File.OpenRead(TestData.ClipVocab), System.IO.Compression.CompressionMode.Decompress))
        using (var r = new StreamReader(gz))
        {
            var lines = r.ReadToEnd().Split('\n');
            File.WriteAllLines(Path.Combine(clipDir, "merges.txt"), lines.Take(ClipTokenizer.MergeCount + 1));
        }
        var fromHf = Assert.IsType<ClipTokenizer>(TokenizerFolder.Load(clipDir));
        foreach (var s in new[] { "a photo of a cat", "mobileclip hatbox", "naïve café 2024 🐶!" })
            Assert.Equal(openai.Encode(s), fromHf.Encode(s));

        var bertDir = TestSupport.TempDir("tokbert");
        File.Copy(TestData.BertVocab, Path.Combine(bertDir, "vocab.txt"));
        Assert.Equal([101, 7592, 102], TokenizerFolder.Load(bertDir).Encode("Hello"));

        var spmDir = TestSupport.TempDir("tokspm");
        File.Copy(Path.Combine(TestData.RepoRoot, "tests", "fixtures", "hf", "spm", "glue-unigram.model"), Path.Combine(spmDir, "spm.model"));
        var deb = Assert.IsType<SentencePieceTextTokenizer>(TokenizerFolder.Load(spmDir));
        Assert.Equal(1, deb.Encode("the film")[0]);

        var e = Assert.Throws<FileNotFoundException>(() => TokenizerFolder.Load(TestSupport.TempDir("toknone")));
        Assert.Contains("spm.model", e.Message);
    }
}
