using Reel.Engine;
using Reel.Engine.Tensors;
using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Video;

public class ImageIOTests
{
    [Theory]
    [InlineData(1, 17, 9)]
    [InlineData(3, 31, 12)]
    [InlineData(1, 1, 1)]
    public void PngRoundTripIsLossless(int channels, int w, int h)
    {
        var rng = new Random(channels * 100 + w);
        var t = new Tensor(new Shape(1, channels, h, w));
        for (int i = 0; i < t.Length; i++) t.Data[i] = rng.Next(256) / 255f;
        var path = Path.Combine(TestPaths.NewTempDir(), "x.png");
        ImageIO.Write(path, t);
        var back = ImageIO.Read(path, channels == 1 ? PixelFormat.Gray8 : PixelFormat.Rgb24);
        Assert.Equal(t.Shape, back.Shape);
        Assert.Equal(t.Data, back.Data);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    /// <summary>
    /// The vectorized quantizer gives the scalar formula's byte for every value it can meet: each
    /// level's exact halfway point and its float neighbours, 0 and 1 and theirs, −0, values out of
    /// range, ±∞, NaN and random ones, at lengths that leave every tail size.
    /// </summary>
    [Fact]
    public void PixelsAreTheScalarRoundingsByteForByte()
    {
        var values = new List<float> { -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, -1e-30f, 2f, -3f, 1e30f, float.Epsilon };
        for (int k = 0; k <= 256; k++)
            foreach (var v in new[] { k / 255f, (k - 0.5f) / 255f, (float)((k - 0.5) / 255) })
                values.AddRange(new[] { v, MathF.BitDecrement(v), MathF.BitIncrement(v) });
        var rng = new Random(5);
        for (int i = 0; i < 5000; i++) values.Add((float)(rng.NextDouble() * 1.2 - 0.1));
        foreach (int length in new[] { values.Count, values.Count - 1, 31, 32, 33, 1 })
        {
            var src = values.Take(length).ToArray();
            var got = new byte[length];
            ImageIO.Quantize(src, got);
            for (int i = 0; i < length; i++)
            {
                var want = (byte)Math.Round(Math.Clamp(src[i], 0f, 1f) * 255f, MidpointRounding.AwayFromZero);
                Assert.True(want == got[i], $"{src[i]:R} became {got[i]}, the scalar rounding gives {want}");
            }
        }
    }

    /// <summary>
    /// The same at 16 bits (a 10-bit encoder's frames): every level's halfway point and its float neighbours, the
    /// extremes and NaN, each the scalar formula's level; then packed as rgb48le, R, G, B a pixel, low byte first.
    /// </summary>
    [Fact]
    public void DeepPixelsAreTheScalarRoundingsPackedLittleEndian()
    {
        var values = new List<float> { -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 2f, -3f, float.Epsilon };
        for (int k = 0; k <= 65536; k += 7)
            foreach (var v in new[] { k / 65535f, (k - 0.5f) / 65535f })
                values.AddRange(new[] { v, MathF.BitDecrement(v), MathF.BitIncrement(v) });
        foreach (int length in new[] { values.Count, values.Count - 1, 15, 16, 17, 1 })
        {
            var src = values.Take(length).ToArray();
            var got = new ushort[length];
            ImageIO.Quantize16(src, got);
            for (int i = 0; i < length; i++)
            {
                var want = (ushort)Math.Round(Math.Clamp(src[i], 0f, 1f) * 65535f, MidpointRounding.AwayFromZero);
                Assert.True(want == got[i], $"{src[i]:R} became {got[i]}, the scalar rounding gives {want}");
            }
        }
        var frame = new Tensor(new Shape(1, 3, 1, 2), new[] { 0f, 1f, 0.5f, 1f / 65535, 0.25f, float.NaN });
        Assert.Equal(new byte[] { 0, 0, 0x00, 0x80, 0x00, 0x40, 0xFF, 0xFF, 0x01, 0x00, 0x00, 0x00 }, ImageIO.ToPixels48(frame));
    }

    /// <summary>Every u8 level of a gray and an RGB frame becomes level / 255 in its plane, and goes back to itself.</summary>
    [Theory]
    [InlineData(PixelFormat.Gray8)]
    [InlineData(PixelFormat.Rgb24)]
    public void EveryLevelConvertsExactlyBothWays(PixelFormat format)
    {
        int c = format == PixelFormat.Gray8 ? 1 : 3;
        // 256 × 3 pixels: each channel runs through every level, offset so the channels differ.
        var px = Enumerable.Range(0, 768 * c).Select(i => (byte)(i % c * 85 + i / c)).ToArray();
        var t = ImageIO.ToTensor(px, 768, 1, format);
        for (int i = 0; i < 768; i++)
        for (int ch = 0; ch < c; ch++)
            Assert.Equal(px[i * c + ch] / 255f, t.Data[ch * 768 + i]);
        Assert.Equal(px, ImageIO.ToPixels(t));
    }

    [Fact]
    public void ReadsSet12AsGray()
    {
        var t = ImageIO.Read(TestPaths.SharedData("testsets/Set12/01.png"), PixelFormat.Gray8);
        Assert.Equal(new Shape(1, 1, 256, 256), t.Shape);
        Assert.InRange(t.Data.Average(), 0.2, 0.8);
    }

    [Fact]
    public void ReadsJpegAsRgb()
    {
        var t = ImageIO.Read(TestPaths.SharedData("video/bike-packing-input/00000.jpg"), PixelFormat.Rgb24);
        Assert.Equal(new Shape(1, 3, 480, 910), t.Shape);
    }

    [Fact]
    public void BadInputsAreClearErrors()
    {
        var dir = TestPaths.NewTempDir();
        Assert.Contains("not found", Assert.Throws<MediaException>(() => ImageIO.Read(Path.Combine(dir, "none.png"), PixelFormat.Gray8)).Message);
        var text = Path.Combine(dir, "text.png");
        File.WriteAllText(text, "not an image");
        var e = Assert.Throws<MediaException>(() => ImageIO.Read(text, PixelFormat.Gray8));
        Assert.Contains(text, e.Message);
        // The line of ffmpeg's log that says why, not its last ("Error marking filters as finished").
        Assert.Contains("Invalid data found when processing input", e.Message);
        var t = new Tensor(new Shape(1, 1, 4, 4));
        Assert.Contains("does not exist", Assert.ThrowsAny<ReelException>(() => ImageIO.Write(Path.Combine(dir, "no", "x.png"), t)).Message);
    }
}

/// <summary>
/// Run apart from other tests: it points REEL_FFMPEG at /bin/false for the whole process, and a test running beside
/// it made its clip with "false" (ProbeOracleTests failed so in a clean-clone run).
/// </summary>
[Collection(nameof(SerialCollection))]
public sealed class ImageIOFailureTests
{
    [Fact]
    public void FailedWriteLeavesTheExistingFileAlone()
    {
        var dir = TestPaths.NewTempDir();
        var target = Path.Combine(dir, "keep.png");
        File.WriteAllText(target, "previous result");
        Environment.SetEnvironmentVariable("REEL_FFMPEG", "/bin/false");
        try
        {
            Assert.Throws<MediaException>(() => ImageIO.Write(target, new Tensor(new Shape(1, 1, 4, 4))));
        }
        finally
        {
            Environment.SetEnvironmentVariable("REEL_FFMPEG", null);
        }
        Assert.Equal("previous result", File.ReadAllText(target));
        Assert.Single(Directory.GetFiles(dir));
    }
}
