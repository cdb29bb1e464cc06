using System.Security.Cryptography;
using System.Text;

namespace PartialLoRA.Data.FewShot;

/// <summary>
/// The data layer's PRNG: SplitMix64 (Steele, Lea &amp; Flood 2014), chosen because it is fully specified by a few
/// lines of integer arithmetic, so every sample, shuffle and augmentation is the same on every machine and .NET
/// version (System.Random's algorithm is an implementation detail and has changed between versions).
/// <para>
/// Streams are keyed, not chained: <see cref="For"/> derives the initial state from a seed and a purpose path
/// (e.g. <c>(0, "cifar10", "few-shot", "class 3")</c>) through SHA-256, so adding a class or a dataset never
/// shifts the numbers another one gets.
/// </para>
/// </summary>
public sealed class SplitMix64
{
    private ulong state;

    public SplitMix64(ulong seed) => state = seed;

    /// <summary>A stream keyed by <paramref name="seed"/> and the parts of a purpose: the first 8 bytes (little-endian)
    /// of SHA-256 over the UTF-8 text <c>seed|part1|part2…</c>.</summary>
    public static SplitMix64 For(ulong seed, params string[] purpose) => new(Key(seed, purpose));

    /// <summary>The state <see cref="For"/> starts from.</summary>
    public static ulong Key(ulong seed, params string[] purpose)
    {
        var text = seed.ToString(System.Globalization.CultureInfo.InvariantCulture) + "|" + string.Join("|", purpose);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return BitConverter.IsLittleEndian
            ? BitConverter.ToUInt64(hash)
            : System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(hash);
    }

    public ulong NextUInt64()
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, <paramref name="n"/>) without modulo bias: draws below 2^64 mod n are rejected.</summary>
    public int NextBelow(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "must be positive");
        var bound = (ulong)n;
        var reject = (0UL - bound) % bound;   // 2^64 mod n
        ulong x;
        do x = NextUInt64(); while (x < reject);
        return (int)(x % bound);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [lo, hi).</summary>
    public double NextDouble(double lo, double hi) => lo + (hi - lo) * NextDouble();

    /// <summary>Fisher–Yates from the last position down: for i = n-1 … 1 swap a[i] with a[NextBelow(i+1)].</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            var j = NextBelow(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>0 … n-1 in shuffled order.</summary>
    public int[] Permutation(int n)
    {
        var p = Enumerable.Range(0, n).ToArray();
        Shuffle(p);
        return p;
    }
}
