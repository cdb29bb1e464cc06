using PartialLoRA.Data.Images;
using static PartialLoRA.Tests.Data.DataFixtures;

namespace PartialLoRA.Tests.Data;

public class ImageDecodeTests
{
    [Fact]
    public void Png_round_trips_exactly_in_rgb_and_gray()
    {
        foreach (var channels in new[] { 3, 1 })
        {
            var img = Pattern(9, 13, channels);
            var back = ImageDecoder.Decode(ImageDecoder.EncodePng(img), "t.png");
            Assert.Equal((9, 13, channels), (back.Height, back.Width, back.Channels));
            Assert.Equal(img.Pixels, back.Pixels);
        }
    }

    [Fact]
    public void Jpeg_decodes_close_to_the_original_and_gray_jpeg_stays_one_channel()
    {
        var smooth = new RawImage(16, 16, 3, Enumerable.Range(0, 16 * 16 * 3).Select(i => (byte)(100 + (i / 3 % 16) * 4)).ToArray());
        var back = ImageDecoder.Decode(ImageDecoder.EncodeJpeg(smooth, 95), "t.jpg");
        Assert.Equal(3, back.Channels);
        Assert.True(smooth.Pixels.Zip(back.Pixels).Max(p => Math.Abs(p.First - p.Second)) <= 6);
        var gray = ImageDecoder.Decode(ImageDecoder.EncodeJpeg(Pattern(8, 8, 1), 90), "g.jpg");
        Assert.Equal(1, gray.Channels);
    }

    [Fact]
    public void Ppm_p6_p5_and_16_bit_are_read_with_comments()
    {
        var rgb = Pattern(4, 5, 3);
        Assert.Equal(rgb.Pixels, ImageDecoder.Decode(Ppm(rgb), "a.ppm").Pixels);
        var gray = Pattern(3, 2, 1);
        Assert.Equal(gray.Pixels, ImageDecoder.Decode(Ppm(gray), "a.pgm").Pixels);
        var wide = ImageDecoder.Decode(Ppm(rgb, 65535), "w.ppm");
        Assert.True(rgb.Pixels.Zip(wide.Pixels).All(p => Math.Abs(p.First - p.Second) <= 1));
    }

    [Fact]
    public void Gray_to_rgb_repeats_and_rgb_to_gray_uses_itu_601_luma()
    {
        var g = new RawImage(1, 2, 1, [10, 200]);
        Assert.Equal(new byte[] { 10, 10, 10, 200, 200, 200 }, g.WithChannels(3).Pixels);
        var c = new RawImage(1, 1, 3, [255, 0, 0]);
        Assert.Equal(76, c.WithChannels(1).Pixels[0]);   // round(0.299 * 255)
    }

    [Fact]
    public void Undecodable_and_truncated_images_are_errors_naming_the_entry()
    {
        var garbage = Enumerable.Range(0, 200).Select(i => (byte)(i * 31 + 7)).ToArray();
        var e = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(garbage, "arch.tar.gz!x/bad.jpg"));
        Assert.Contains("arch.tar.gz!x/bad.jpg", e.Message);
        Assert.Contains("undecodable", e.Message);
        var jpg = ImageDecoder.EncodeJpeg(Pattern(32, 32), 90);
        var t = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(jpg[..(jpg.Length / 2)], "d/cut.jpg"));
        Assert.Contains("d/cut.jpg", t.Message);
        Assert.Contains("truncated", t.Message);
        var ppm = Ppm(Pattern(4, 4));
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(ppm[..^5], "p.ppm")).Message);
    }
}
