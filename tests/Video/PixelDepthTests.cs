using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Video;

/// <summary>A source's bits a sample, read from its pixel format, and said when the restore writes fewer.</summary>
public class PixelDepthTests
{
    [Theory]
    [InlineData("yuv420p", 8)]
    [InlineData("gray", 8)]
    [InlineData("bgr0", 8)]
    [InlineData("rgb565le", 8)]
    [InlineData("nv12", 8)]
    [InlineData("yuv420p9le", 9)]
    [InlineData("yuv420p10le", 10)]
    [InlineData("yuv422p10be", 10)]
    [InlineData("gbrp12le", 12)]
    [InlineData("x2rgb10le", 10)]
    [InlineData("gray16le", 16)]
    [InlineData("rgb48le", 16)]
    [InlineData("bgra64be", 16)]
    [InlineData("ya16le", 16)]
    [InlineData("p010le", 10)]
    [InlineData("p216le", 16)]
    public void BitsASampleComeFromThePixelFormat(string format, int bits) => Assert.Equal(bits, VideoFile.BitsOf(format));

    [Fact]
    public void ADeepSourceIsSaidToComeOutAtEightBits()
    {
        // A 16-bit master came out at 8 bits (128 levels of a gradient became 17) without a word.
        var dir = TestPaths.NewTempDir();
        var input = Path.Combine(dir, "master.mkv");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-frames:v", "2", "-pix_fmt", "gray16le",
            "-c:v", "ffv1", input }, ReadOnlyMemory<byte>.Empty, input);
        Assert.Equal(16, VideoFile.Probe(input).BitsPerSample);
        var r = ReelProcess.Run("restore", input, Path.Combine(dir, "out.mkv"), "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress", "--encoder", "ffv1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"{input} has 16-bit samples; Reel reads 8 bits a sample of them", r.Stderr);
    }
}
