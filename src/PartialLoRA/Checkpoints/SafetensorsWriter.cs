using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Checkpoints;

/// <summary>
/// Writes safetensors files: tensors in the given order, header padded with spaces to a multiple of 8 bytes
/// (as the reference implementation does). The header is built from shapes alone and the tensors are streamed
/// one by one; the file is written atomically (<see cref="AtomicFile"/>).
/// </summary>
public static class SafetensorsWriter
{
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var items = tensors.ToList();
        var dup = items.GroupBy(t => t.Key).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new ArgumentException($"{path}: tensor name '{dup.Key}' given twice");
        if (items.Any(t => t.Key == "__metadata__")) throw new ArgumentException($"{path}: '__metadata__' is reserved");

        using var header = new MemoryStream();
        using (var w = new Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in items)
            {
                var size = t.numel() * SafetensorsDType.SizeOf(SafetensorsDType.FromTorch(t.dtype));
                w.WriteStartObject(name);
                w.WriteString("dtype", SafetensorsDType.FromTorch(t.dtype));
                w.WriteStartArray("shape");
                foreach (var d in t.shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + size);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += size;
            }
            w.WriteEndObject();
        }
        while (header.Length % 8 != 0) header.WriteByte((byte)' ');

        AtomicFile.Write(path, fs =>
        {
            fs.Write(BitConverter.GetBytes(header.Length));
            header.Position = 0;
            header.CopyTo(fs);
            foreach (var (_, t) in items)
            {
                using var scope = torch.NewDisposeScope();   // detach() is new, so nothing of the caller's is disposed
                var cpu = t.detach().cpu().contiguous();
                if (cpu.numel() > 0) fs.Write(cpu.bytes);
            }
        });
    }

    public static void Save(string path, IEnumerable<(string Name, Tensor Tensor)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(path, tensors.Select(t => KeyValuePair.Create(t.Name, t.Tensor)), metadata);
}
