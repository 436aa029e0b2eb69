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
        var t = new Tensor(new Shape(1, 1, 4, 4));
        Assert.Contains("does not exist", Assert.ThrowsAny<ReelException>(() => ImageIO.Write(Path.Combine(dir, "no", "x.png"), t)).Message);
    }

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
