using PartialLoRA.Data.FewShot;
using PartialLoRA.Data.Images;
using TorchSharp;
using static PartialLoRA.Tests.Data.DataFixtures;
using static TorchSharp.torch;

namespace PartialLoRA.Tests.Data;

/// <summary>Resizing is checked against Pillow 9.4 (the library CLIP's preprocessing runs on): reference values were
/// produced by PIL's Image.resize on the same 7×5 pattern image and pasted here.</summary>
public class ImageOpsTests
{
    private static byte[] Resized(RawImage img, int h, int w, ResizeMode mode)
    {
        using var scope = NewDisposeScope();
        var x = tensor(img.Pixels, [1, img.Height, img.Width, 3]).permute(0, 3, 1, 2).to(ScalarType.Float32);
        return ImageOps.Resize(x, h, w, mode).round_().clamp_(0, 255).to(ScalarType.Byte).permute(0, 2, 3, 1).contiguous().data<byte>().ToArray();
    }

    private static void Near(IReadOnlyList<int> pil, byte[] ours, int tol = 1)
    {
        Assert.Equal(pil.Count, ours.Length);
        var worst = pil.Zip(ours).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst <= tol, $"max difference to Pillow {worst} > {tol}");
    }

    [Fact]
    public void Bicubic_and_bilinear_downscaling_match_pillow()
    {
        TestSupport.Torch.ToString();
        var img = Pattern(5, 7);
        Near([20, 70, 125, 95, 147, 169, 156, 148, 133, 129, 98, 88, 49, 105, 156, 146, 155, 151, 95, 66, 87, 108, 137, 165, 84, 130, 176, 143, 113, 104, 103, 134, 165, 174, 93, 90],
            Resized(img, 3, 4, ResizeMode.Bicubic));
        Near([54, 104, 152, 130, 131, 129, 116, 110, 120, 98, 131, 158, 112, 111, 125, 141, 116, 122], Resized(img, 2, 3, ResizeMode.Bilinear));
    }

    [Fact]
    public void Bicubic_upscaling_matches_pillow()
    {
        TestSupport.Torch.ToString();
        var up = Resized(Pattern(5, 7), 9, 11, ResizeMode.Bicubic);
        Assert.True(Math.Abs(up.Sum(b => (long)b) - 35494) <= 9 * 11 * 3 / 2);
        Near([211, 5, 55], up[((4 * 11 + 5) * 3)..((4 * 11 + 6) * 3)]);
        Near([0, 46, 96], up[..3]);
        Near([39, 131, 179], up[^3..]);
    }

    [Fact]
    public void Clip_style_short_side_resize_and_center_crop_match_torchvision_on_pillow()
    {
        TestSupport.Torch.ToString();
        var spec = new DecodeSpec(4, ResizeMode.Bicubic, Fit.ShortSideCenterCrop);
        var got = spec.Apply(Pattern(5, 7), 3);
        Assert.Equal((4, 4), (got.Height, got.Width));
        Near([11, 61, 111, 62, 113, 163, 123, 170, 187, 160, 182, 135, 28, 78, 127, 103, 156, 215, 184, 120, 55, 85, 37, 97, 46, 96, 155, 146, 201, 153, 91, 65, 101, 75, 143, 120, 63, 124, 178, 185, 112, 126, 76, 105, 146, 176, 135, 157],
            got.Pixels);
    }

    [Theory]
    [InlineData(5, 7, 4, 4, 5)]
    [InlineData(7, 5, 4, 5, 4)]
    [InlineData(375, 500, 224, 224, 298)]
    [InlineData(32, 32, 224, 224, 224)]
    public void Short_side_sizes_truncate_like_torchvision(int h, int w, int size, int eh, int ew) =>
        Assert.Equal((eh, ew), ImageOps.ShortSideSize(h, w, size));

    [Fact]
    public void Center_crop_rounds_half_to_even_and_pads_small_images()
    {
        TestSupport.Torch.ToString();
        using var scope = NewDisposeScope();
        var x = arange(5 * 4, ScalarType.Float32).view(1, 1, 5, 4);
        var c = ImageOps.CenterCrop(x, 2, 2);   // top = round(1.5) = 2, left = round(1.0) = 1
        Assert.Equal(new float[] { 9, 10, 13, 14 }, c.contiguous().data<float>().ToArray());
        var p = ImageOps.CenterCrop(x, 7, 4);
        Assert.Equal(new long[] { 1, 1, 7, 4 }, p.shape);
        Assert.Equal(0f, p[0, 0, 0, 0].item<float>());
    }

    [Fact]
    public void Random_resized_crop_boxes_fit_follow_the_area_bounds_and_repeat_with_the_seed()
    {
        var a = SplitMix64.For(3, "rrc");
        var b = SplitMix64.For(3, "rrc");
        for (int i = 0; i < 200; i++)
        {
            var box = ImageOps.RandomResizedCropBox(40, 60, (0.08, 1.0), (3.0 / 4, 4.0 / 3), a);
            Assert.Equal(box, ImageOps.RandomResizedCropBox(40, 60, (0.08, 1.0), (3.0 / 4, 4.0 / 3), b));
            Assert.InRange(box.Top, 0, 40 - box.Height);
            Assert.InRange(box.Left, 0, 60 - box.Width);
            Assert.InRange(box.Height * box.Width, 1, 40 * 60);
        }
        // impossible bounds fall back to the central crop at the closest allowed ratio
        Assert.Equal((0, 20, 40, 20), ImageOps.RandomResizedCropBox(40, 60, (2.0, 3.0), (0.5, 0.5), SplitMix64.For(1, "x")));
    }

    [Fact]
    public void The_batch_transform_normalises_expands_gray_and_augments_deterministically()
    {
        TestSupport.Torch.ToString();
        using var scope = NewDisposeScope();
        var batch = full(new long[] { 2, 1, 8, 8 }, 255, ScalarType.Byte);
        var t = new ImageTransform { Size = 8, Mean = ImagePreset.ClipMean, Std = ImagePreset.ClipStd };
        var y = t.Apply(batch, SplitMix64.For(0, "t"));
        Assert.Equal(new long[] { 2, 3, 8, 8 }, y.shape);
        Assert.Equal((1 - 0.48145466) / 0.26862954, y[0, 0, 0, 0].item<float>(), 4);
        Assert.Equal((1 - 0.40821073) / 0.27577711, y[1, 2, 7, 7].item<float>(), 4);

        var img = tensor(Pattern(16, 16).Pixels, [1, 16, 16, 3]).permute(0, 3, 1, 2).repeat(4, 1, 1, 1);
        var aug = ImagePreset.Clip(12, resizePerBatch: true, augment: true).Train;
        var r1 = aug.Apply(img, SplitMix64.For(5, "b"));
        var r2 = aug.Apply(img, SplitMix64.For(5, "b"));
        var r3 = aug.Apply(img, SplitMix64.For(6, "b"));
        Assert.Equal(new long[] { 4, 3, 12, 12 }, r1.shape);
        Assert.True(r1.eq(r2).all().item<bool>());
        Assert.False(r1.eq(r3).all().item<bool>());
    }

    [Fact]
    public void Clip_preset_per_batch_resizes_stored_32_pixel_images_to_224()
    {
        TestSupport.Torch.ToString();
        using var scope = NewDisposeScope();
        var p = ImagePreset.Clip(resizePerBatch: true);
        Assert.Equal(Fit.Native, p.Decode.Fit);
        var x = p.Eval.Apply(zeros(new long[] { 2, 3, 32, 32 }, ScalarType.Byte), SplitMix64.For(0, "e"));
        Assert.Equal(new long[] { 2, 3, 224, 224 }, x.shape);
        Assert.Equal(ImagePreset.Lab(32).Decode, new DecodeSpec(32, ResizeMode.Bilinear, Fit.Stretch));
        Assert.Throws<ArgumentException>(() => ImagePreset.Parse("vit"));
        Assert.Equal("lab48", ImagePreset.Parse("lab48").Name);
        // only digits: "lab 48" or "lab+48" is a typo, not lab48
        foreach (var bad in new[] { "lab 48", "lab+48", "lab-8", "lab0" })
            Assert.Contains("expected clip, clip-per-batch, lab or labN", Assert.Throws<ArgumentException>(() => ImagePreset.Parse(bad)).Message);
    }
}
