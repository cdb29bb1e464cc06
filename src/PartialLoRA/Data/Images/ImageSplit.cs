using System.Runtime.InteropServices;
using PartialLoRA.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace PartialLoRA.Data.Images;

/// <summary>
/// One split of an image dataset, listed but not decoded: labels, class names and where each image is. The few-shot
/// sampler works on <see cref="Labels"/>; <see cref="Load"/> decodes just the rows it is given, in parallel, into a
/// <see cref="ClassificationSet"/> of uint8 N×C×H×W.
/// </summary>
public abstract class ImageSplit
{
    protected ImageSplit(string dataset, string split, IReadOnlyList<string> classNames, int[] labels, int channels)
    {
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classNames.Count)
                throw new InvalidDataException($"{dataset}/{split}: label {labels[i]} of row {i} is out of range 0…{classNames.Count - 1}");
        (Dataset, Split, ClassNames, Labels, Channels) = (dataset, split, classNames, labels, channels);
    }

    public string Dataset { get; }
    public string Split { get; }
    public IReadOnlyList<string> ClassNames { get; private set; }
    public IReadOnlyList<int> Labels { get; }
    /// <summary>The dataset's own channel count (1 for FER/Fashion-MNIST, 3 otherwise).</summary>
    public int Channels { get; }
    public int Count => Labels.Count;

    /// <summary>The same split under other class names (one per class, e.g. CLIP's).</summary>
    public ImageSplit WithClassNames(IReadOnlyList<string> names)
    {
        if (names.Count != ClassNames.Count) throw new ArgumentException($"{Dataset}/{Split}: {names.Count} names for {ClassNames.Count} classes");
        var copy = (ImageSplit)MemberwiseClone();
        copy.ClassNames = names;
        return copy;
    }

    /// <summary>Where row <paramref name="index"/> comes from (file, archive entry or record), for messages.</summary>
    public abstract string Describe(int index);

    /// <summary>Decodes the rows at <paramref name="indices"/>, calling <paramref name="consume"/>(position, image)
    /// from up to <paramref name="parallelism"/> threads.</summary>
    protected abstract void Decode(IReadOnlyList<int> indices, Action<int, RawImage> consume, int parallelism, CancellationToken ct);

    /// <summary><see cref="Decode"/> for other splits (concatenation).</summary>
    internal void DecodeRows(IReadOnlyList<int> indices, Action<int, RawImage> consume, int parallelism, CancellationToken ct) =>
        Decode(indices, consume, parallelism, ct);

    /// <summary>A key that changes when the split's source files change (paths, sizes, times), for caches.</summary>
    public abstract string SourceFingerprint { get; }

    /// <summary>
    /// Decodes rows (all when <paramref name="indices"/> is null) with <paramref name="spec"/> into a set named
    /// <paramref name="split"/> (default: this split's name). With <see cref="Fit.Native"/> every image must have the
    /// size of the first one.
    /// </summary>
    public ClassificationSet Load(DecodeSpec spec, IReadOnlyList<int>? indices = null, string? split = null, int parallelism = 0,
        IProgress<int>? progress = null, CancellationToken ct = default)
    {
        _ = TorchRuntime.Current;
        indices ??= Enumerable.Range(0, Count).ToArray();
        foreach (var i in indices)
            if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), $"{Dataset}/{Split}: row {i} of {Count}");
        if (parallelism <= 0) parallelism = Environment.ProcessorCount;
        var channels = spec.Channels ?? Channels;
        var labels = indices.Select(i => (long)Labels[i]).ToArray();
        var name = split ?? Split;
        if (indices.Count == 0)
            return new ClassificationSet(Dataset, name, empty(0, channels, Math.Max(spec.Size, 1), Math.Max(spec.Size, 1), ScalarType.Byte),
                tensor(labels), ClassNames, TaskType.ImageClassification, MetricNames.Accuracy);

        if (spec.Fit == Fit.Native) return LoadNative(spec, indices, channels, labels, name, parallelism, progress, ct);
        var output = empty(indices.Count, channels, spec.Size, spec.Size, ScalarType.Byte);
        try
        {
            int done = 0;
            Decode(indices, (pos, raw) =>
            {
                var img = Prepare(spec, raw, channels, indices[pos]);
                using (var row = output[pos]) WriteChw(img, row.bytes);
                Report(progress, Interlocked.Increment(ref done), indices.Count);
            }, parallelism, ct);
            return new ClassificationSet(Dataset, name, output, tensor(labels), ClassNames, TaskType.ImageClassification, MetricNames.Accuracy);
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    /// <summary>Native size: decode everything first (the stored size is the first row's), then check and copy.</summary>
    private ClassificationSet LoadNative(DecodeSpec spec, IReadOnlyList<int> indices, int channels, long[] labels, string name, int parallelism,
        IProgress<int>? progress, CancellationToken ct)
    {
        var images = new RawImage[indices.Count];
        int done = 0;
        Decode(indices, (pos, raw) =>
        {
            images[pos] = Prepare(spec, raw, channels, indices[pos]);
            Report(progress, Interlocked.Increment(ref done), indices.Count);
        }, parallelism, ct);
        var (height, width) = (images[0].Height, images[0].Width);
        for (int pos = 1; pos < images.Length; pos++)
            if (images[pos].Height != height || images[pos].Width != width)
                throw new InvalidDataException(
                    $"{Describe(indices[pos])}: image is {images[pos].Width}x{images[pos].Height} but {Describe(indices[0])} is {width}x{height}; decode with a size (e.g. a preset) to store images of different sizes");
        var output = empty(indices.Count, channels, height, width, ScalarType.Byte);
        for (int pos = 0; pos < images.Length; pos++)
            using (var row = output[pos]) WriteChw(images[pos], row.bytes);
        return new ClassificationSet(Dataset, name, output, tensor(labels), ClassNames, TaskType.ImageClassification, MetricNames.Accuracy);
    }

    /// <summary>Applies the spec; torch or argument errors become errors naming the row's source.</summary>
    private RawImage Prepare(DecodeSpec spec, RawImage raw, int channels, int index)
    {
        try
        {
            return spec.Apply(raw, channels);
        }
        catch (Exception e) when (e is ArgumentException or ExternalException)
        {
            throw new InvalidDataException($"{Describe(index)}: {e.Message}", e);
        }
    }

    private static void Report(IProgress<int>? progress, int done, int total)
    {
        if (progress != null && (done % 256 == 0 || done == total)) progress.Report(done);
    }

    private static void WriteChw(RawImage img, Span<byte> dst)
    {
        int hw = img.Height * img.Width, c = img.Channels;
        var src = img.Pixels;
        if (c == 1)
        {
            src.AsSpan().CopyTo(dst);
            return;
        }
        for (int p = 0, s = 0; p < hw; p++, s += 3)
        {
            dst[p] = src[s];
            dst[hw + p] = src[s + 1];
            dst[2 * hw + p] = src[s + 2];
        }
    }
}

/// <summary>Images stored as encoded files (JPEG, PNG, PPM) in a <see cref="Files.FileTree"/>.</summary>
public sealed class FileImageSplit(string dataset, string split, IReadOnlyList<string> classNames, Files.FileTree tree,
    IReadOnlyList<Files.FileEntry> entries, int[] labels, int channels = 3) : ImageSplit(dataset, split, classNames, Check(entries, labels), channels)
{
    public IReadOnlyList<Files.FileEntry> Entries { get; } = entries;
    public Files.FileTree Tree { get; } = tree;

    private static int[] Check(IReadOnlyList<Files.FileEntry> entries, int[] labels) =>
        entries.Count == labels.Length ? labels : throw new ArgumentException($"{entries.Count} entries for {labels.Length} labels");

    public override string Describe(int index) => Entries[index].Describe();

    public override string SourceFingerprint => Fingerprints.Of(Tree.Containers);

    protected override void Decode(IReadOnlyList<int> indices, Action<int, RawImage> consume, int parallelism, CancellationToken ct)
    {
        var list = indices.Select(i => Entries[i]).ToArray();
        Tree.ReadMany(list, (pos, bytes) => consume(pos, ImageDecoder.Decode(bytes, list[pos].Describe())), parallelism, ct);
    }
}

/// <summary>
/// Images already as pixels in one array (CIFAR's binary batches, IDX files, FER's CSV): record r holds
/// <see cref="ImageSplit.Channels"/> × H × W bytes, channel-major (CHW) like CIFAR and IDX.
/// </summary>
public sealed class ArrayImageSplit : ImageSplit
{
    private readonly byte[] pixels;
    private readonly int height, width;
    private readonly Func<int, string> describe;

    public ArrayImageSplit(string dataset, string split, IReadOnlyList<string> classNames, byte[] chwPixels, int height, int width,
        int channels, int[] labels, Func<int, string> describe) : base(dataset, split, classNames, labels, channels)
    {
        if (chwPixels.LongLength != (long)labels.Length * channels * height * width)
            throw new ArgumentException($"{dataset}/{split}: {chwPixels.LongLength} pixel bytes for {labels.Length} images of {channels}x{height}x{width}");
        (pixels, this.height, this.width, this.describe) = (chwPixels, height, width, describe);
    }

    public override string Describe(int index) => describe(index);

    private string? fingerprint;

    /// <summary>Hash of the pixels and labels, computed once.</summary>
    public override string SourceFingerprint => fingerprint ??= Fingerprints.Of(pixels, Labels);

    protected override void Decode(IReadOnlyList<int> indices, Action<int, RawImage> consume, int parallelism, CancellationToken ct)
    {
        var size = Channels * height * width;
        var hw = height * width;
        Parallel.For(0, indices.Count, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct }, pos =>
        {
            var rec = pixels.AsSpan((int)((long)indices[pos] * size), size);
            var hwc = new byte[size];
            if (Channels == 1) rec.CopyTo(hwc);
            else
                for (int p = 0; p < hw; p++)
                    for (int c = 0; c < Channels; c++) hwc[p * Channels + c] = rec[c * hw + p];
            consume(pos, new RawImage(height, width, Channels, hwc));
        });
    }
}
