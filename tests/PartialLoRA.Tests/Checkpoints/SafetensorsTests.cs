using System.Text;
using PartialLoRA.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Checkpoints;

public class SafetensorsTests
{
    public SafetensorsTests() => _ = TestSupport.Torch;

    // A file built byte by byte from the spec, independent of our writer.
    private static byte[] HandMade(string headerJson, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(headerJson);
        var ms = new MemoryStream();
        ms.Write(BitConverter.GetBytes((long)h.Length));
        ms.Write(h);
        ms.Write(data);
        return ms.ToArray();
    }

    private static string Write(byte[] bytes)
    {
        var p = Path.Combine(TestSupport.TempDir("st"), "t.safetensors");
        File.WriteAllBytes(p, bytes);
        return p;
    }

    [Fact]
    public void Reads_a_hand_made_file_per_the_spec()
    {
        var data = new byte[4 * 4 + 2 * 8];
        BitConverter.GetBytes(1.5f).CopyTo(data, 0);
        BitConverter.GetBytes(-2f).CopyTo(data, 4);
        BitConverter.GetBytes(3f).CopyTo(data, 8);
        BitConverter.GetBytes(4.25f).CopyTo(data, 12);
        BitConverter.GetBytes(7L).CopyTo(data, 16);
        BitConverter.GetBytes(-9L).CopyTo(data, 24);
        var header = """{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"ids":{"dtype":"I64","shape":[2],"data_offsets":[16,32]}}""";
        using var f = SafetensorsFile.Open(Write(HandMade(header, data)));
        Assert.Equal("pt", f.Metadata["format"]);
        Assert.Equal(["w", "ids"], f.Entries.Select(e => e.Name));
        using var w = f.Load("w");
        Assert.Equal(new long[] { 2, 2 }, w.shape);
        Assert.Equal(new[] { 1.5f, -2f, 3f, 4.25f }, w.data<float>().ToArray());
        using var ids = f.Load("ids");
        Assert.Equal(new[] { 7L, -9L }, ids.data<long>().ToArray());
    }

    [Fact]
    public void Round_trips_every_torch_dtype_with_metadata_and_aligned_header()
    {
        var dir = TestSupport.TempDir("st");
        var path = Path.Combine(dir, "all.safetensors");
        using var scope = torch.NewDisposeScope();
        var src = new Dictionary<string, Tensor>
        {
            ["f32"] = torch.randn(3, 5),
            ["f16"] = torch.randn(4).to(ScalarType.Float16),
            ["bf16"] = torch.randn(2, 3).to(ScalarType.BFloat16),
            ["f64"] = torch.randn(2, dtype: ScalarType.Float64),
            ["i64"] = torch.arange(6).reshape(2, 3),
            ["i32"] = torch.arange(3, dtype: ScalarType.Int32),
            ["i16"] = torch.arange(3, dtype: ScalarType.Int16),
            ["i8"] = torch.tensor(new sbyte[] { -3, 4 }),
            ["u8"] = torch.tensor(new byte[] { 0, 255 }),
            ["bool"] = torch.tensor(new[] { true, false, true }),
            ["empty"] = torch.zeros(0, 4),
            ["scalar"] = torch.tensor(2.5f),
            ["strided"] = torch.randn(4, 6).t(),   // non-contiguous input
        };
        SafetensorsWriter.Save(path, src, new Dictionary<string, string> { ["note"] = "ünïcode ok" });
        Assert.Equal(["all.safetensors"], Directory.GetFiles(dir).Select(Path.GetFileName));   // no temp file left
        var headerLen = BitConverter.ToInt64(File.ReadAllBytes(path), 0);
        Assert.Equal(0, headerLen % 8);
        using var f = SafetensorsFile.Open(path);
        Assert.Equal("ünïcode ok", f.Metadata["note"]);
        foreach (var (name, t) in src)
        {
            var back = f.Load(name);
            Assert.Equal(t.dtype, back.dtype);
            Assert.Equal(t.shape, back.shape);
            Assert.True(t.eq(back).all().item<bool>(), name);
        }
        var asF32 = f.Load("bf16", dtype: ScalarType.Float32);
        Assert.Equal(ScalarType.Float32, asF32.dtype);
    }

    [Theory]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 4, "runs past the data buffer")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "overlaps")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "hole in the data buffer")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 8, "trailing bytes")]
    [InlineData("""{"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,4]}}""", 4, "unknown dtype 'Q4'")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, "needs 12 bytes but data_offsets span 8")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", 8, "not 0 <= begin <= end")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", 8, "non-negative integer")]
    [InlineData("""{"a":{"shape":[2],"data_offsets":[0,8]}}""", 8, "missing 'dtype'")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8, "appears twice")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]""", 8, "not valid JSON")]
    [InlineData("""[1,2]""", 0, "does not start with '{'")]
    public void Broken_files_give_clear_errors(string header, int dataBytes, string expected)
    {
        var path = Write(HandMade(header, new byte[dataBytes]));
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Truncated_file_and_absurd_header_length_are_reported()
    {
        var path = Path.Combine(TestSupport.TempDir("st"), "ok.safetensors");
        using (var t = torch.randn(16)) SafetensorsWriter.Save(path, [("w", t)]);
        var bytes = File.ReadAllBytes(path);
        var cut = Write(bytes[..^10]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(cut)).Message);
        var shortHeader = Write(bytes[..20]);
        Assert.Contains("runs past the end of the file", Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(shortHeader)).Message);
        var huge = (byte[])bytes.Clone();
        BitConverter.GetBytes(long.MaxValue).CopyTo(huge, 0);
        Assert.Contains("header length", Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(Write(huge))).Message);
        Assert.Contains("shorter than", Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(Write(new byte[3]))).Message);
        Assert.Throws<FileNotFoundException>(() => SafetensorsFile.Open(path + ".missing"));
    }

    [Fact]
    public void Failed_write_leaves_no_file()
    {
        var dir = TestSupport.TempDir("st");
        var path = Path.Combine(dir, "x.safetensors");
        using var t = torch.randn(2);
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Save(path, [("a", t), ("a", t)]));
        Assert.Throws<NotSupportedException>(() => SafetensorsWriter.Save(path, [("c", torch.randn(2).to(ScalarType.ComplexFloat32))]));
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void Sharded_checkpoint_loads_through_its_index()
    {
        var dir = TestSupport.TempDir("shards");
        using var a = torch.randn(3, 2);
        using var b = torch.randn(4);
        SafetensorsWriter.Save(Path.Combine(dir, "model-00001-of-00002.safetensors"), [("layer.0.weight", a)]);
        SafetensorsWriter.Save(Path.Combine(dir, "model-00002-of-00002.safetensors"), [("layer.1.bias", b)]);
        File.WriteAllText(Path.Combine(dir, TensorCheckpoint.IndexFileName), """
            {"metadata":{"total_size":40},"weight_map":{"layer.0.weight":"model-00001-of-00002.safetensors","layer.1.bias":"model-00002-of-00002.safetensors"}}
            """);
        using (var ck = TensorCheckpoint.Open(dir))
        {
            Assert.Equal(["layer.0.weight", "layer.1.bias"], ck.Names.Order());
            Assert.Equal("40", ck.Metadata["total_size"]);
            using var back = ck.Load("layer.1.bias");
            Assert.True(back.eq(b).all().item<bool>());
        }
        File.Delete(Path.Combine(dir, "model-00002-of-00002.safetensors"));
        var e = Assert.Throws<FileNotFoundException>(() => TensorCheckpoint.Open(dir));
        Assert.Contains("model-00002-of-00002.safetensors", e.Message);
    }

    private sealed class Tiny : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> fc;
        public Tiny(int i, int o) : base("Tiny") { fc = nn.Linear(i, o); RegisterComponents(); }
        public override Tensor forward(Tensor x) => fc.forward(x);
    }

    [Fact]
    public void State_dict_loader_is_strict_by_default_and_names_what_is_wrong()
    {
        var dir = TestSupport.TempDir("load");
        var good = Path.Combine(dir, "good.safetensors");
        using var w = torch.randn(2, 3);
        using var bias = torch.randn(2);
        using var extra = torch.randn(1);
        SafetensorsWriter.Save(good, [("fc.weight", w), ("fc.bias", bias)]);
        var model = new Tiny(3, 2);
        using (var ck = TensorCheckpoint.Open(good))
        {
            var r = StateDictLoader.Load(model, ck);
            Assert.Equal(2, r.Loaded.Count);
        }
        Assert.True(model.state_dict()["fc.weight"].eq(w).all().item<bool>());

        var partial = Path.Combine(dir, "partial.safetensors");
        SafetensorsWriter.Save(partial, [("fc.weight", w), ("head.extra", extra)]);
        using (var ck = TensorCheckpoint.Open(partial))
        {
            var e = Assert.Throws<InvalidDataException>(() => StateDictLoader.Load(model, ck));
            Assert.Contains("missing 1: fc.bias", e.Message);
            Assert.Contains("unexpected 1: head.extra", e.Message);
            var r = StateDictLoader.Load(model, ck, strict: false);
            Assert.Equal(["fc.bias"], r.Missing);
            Assert.Equal(["head.extra"], r.Unexpected);
        }

        var wrong = Path.Combine(dir, "wrong.safetensors");
        using var w2 = torch.randn(3, 3);
        SafetensorsWriter.Save(wrong, [("fc.weight", w2), ("fc.bias", bias)]);
        using (var ck = TensorCheckpoint.Open(wrong))
        {
            var e = Assert.Throws<InvalidDataException>(() => StateDictLoader.Load(model, ck, strict: false));
            Assert.Contains("'fc.weight': checkpoint [3, 3] vs model [2, 3]", e.Message);
        }
    }
}
