using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Sparsity;

/// <summary>Digests that tie a sparsity plan to the pretrained weights it was derived from ("sha256:&lt;hex&gt;").</summary>
public static class ModelFingerprint
{
    /// <summary>SHA-256 of a checkpoint file's bytes (for a sharded checkpoint, hash the index file or each shard).</summary>
    public static string OfFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint '{path}' does not exist", path);
        using var stream = File.OpenRead(path);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// SHA-256 over a module's parameters and buffers in named order: each name, dtype, shape and raw bytes. Equal
    /// weights give equal digests whatever the device; any changed value changes it.
    /// </summary>
    public static string OfModule(nn.Module module)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var tensors = module.named_parameters().Select(p => (p.name, (Tensor)p.parameter))
            .Concat(module.named_buffers().Select(b => (b.name, b.buffer)));
        foreach (var (name, tensor) in tensors)
        {
            using var scope = torch.NewDisposeScope();
            hash.AppendData(Encoding.UTF8.GetBytes($"{name}|{tensor.dtype}|{string.Join(",", tensor.shape)}|"));
            hash.AppendData(tensor.detach().cpu().contiguous().bytes);
        }
        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
