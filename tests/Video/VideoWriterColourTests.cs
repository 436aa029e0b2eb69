using System.Text;
using Reel.Engine.Tensors;
using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Video;

/// <summary>
/// The YUV a written video stores its sRGB frames in, and says it does: players take untagged HD
/// for BT.709 and SD for BT.601, and ffmpeg's own conversion is BT.601 at every size, untagged.
/// </summary>
public class VideoWriterColourTests
{
    [Theory]
    [InlineData(1280, 720, "bt709", 63)]
    [InlineData(640, 480, "smpte170m", 81)]
    public void FramesAreStoredInTheYuvPlayersTakeForTheirSizeAndTaggedSo(int width, int height, string matrix, int redLuma)
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "red.mp4");
        var red = new Tensor(new Shape(1, 3, height, width));
        red.Data.AsSpan(0, width * height).Fill(1f);
        using (var writer = new VideoWriter(path, width, height, "1/10", frameRate: "10"))
        {
            writer.Write(red, 0);
            writer.Write(red, 100_000_000);
            writer.Complete();
        }
        var tags = Encoding.ASCII.GetString(Ffmpeg.Run(Ffmpeg.FfprobePath, new[] { "-v", "error", "-select_streams", "v",
            "-show_entries", "stream=color_space,color_range,color_primaries,color_transfer", "-of", "csv=p=0", path }, ReadOnlyMemory<byte>.Empty, path)).Trim();
        Assert.Equal($"tv,{matrix},bt709,bt709", tags);
        // Pure red's luma: 16 + 219 × 0.2126 (BT.709) or × 0.299 (BT.601).
        var yuv = Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-i", path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-" },
            ReadOnlyMemory<byte>.Empty, path);
        int luma = yuv[height / 2 * width + width / 2];
        Assert.True(Math.Abs(luma - redLuma) <= 1, $"red stored with luma {luma}, expected {redLuma} ({matrix})");
        // Read back through the tags: red again.
        var back = VideoFile.ReadFrames(path, VideoFile.Probe(path)).First().Pixels;
        int centre = (height / 2 * width + width / 2) * 3;
        Assert.True(back[centre] >= 250 && back[centre + 1] <= 5 && back[centre + 2] <= 5, $"read back as ({back[centre]}, {back[centre + 1]}, {back[centre + 2]})");
    }

    /// <summary>
    /// Reading: a video that states no matrix is converted to RGB as players show it, BT.709 at HD and
    /// BT.601 at SD; one that states its matrix by it, even against its size.
    /// </summary>
    [Theory]
    [InlineData(1280, 720, "bt709", false)]
    [InlineData(640, 480, "smpte170m", false)]
    [InlineData(1280, 720, "smpte170m", true)]
    [InlineData(640, 480, "bt709", true)]
    public void ColourIsReadInTheYuvTheVideoStatesOrPlayersTakeForItsSize(int width, int height, string matrix, bool tagged)
    {
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "red.mp4");
        // Lossless H.264 of pure red in the given matrix; its tags, where wanted, written into the stream's VUI.
        var args = new List<string> { "-v", "error", "-f", "lavfi", "-i", $"color=c=red:size={width}x{height}:rate=10", "-frames:v", "2",
            "-vf", $"scale=out_color_matrix={(matrix == "bt709" ? "bt709" : "bt601")}:out_range=tv,format=yuv420p", "-c:v", "libx264", "-qp", "0" };
        if (tagged) args.AddRange(new[] { "-colorspace", matrix });
        args.Add(path);
        Ffmpeg.Run(Ffmpeg.FfmpegPath, args, ReadOnlyMemory<byte>.Empty, path);
        var info = VideoFile.Probe(path);
        Assert.Equal(tagged ? matrix : null, info.ColourMatrix);
        var rgb = VideoFile.ReadFrames(path, info).First().Pixels;
        int centre = (height / 2 * width + width / 2) * 3;
        // Decoded in the other matrix, this red came in as (230, 0, 0) or so.
        Assert.True(rgb[centre] >= 248 && rgb[centre + 1] <= 5 && rgb[centre + 2] <= 5, $"red read as ({rgb[centre]}, {rgb[centre + 1]}, {rgb[centre + 2]})");
    }

    /// <summary>
    /// A 10-bit encoder (ProRes 422 HQ) is given 16-bit frames: a restored frame's smooth gradient, such as a denoised sky,
    /// comes back within the codec's own error, not in the steps of 8 bits (given 8 bits, ProRes kept it at 56 dB; given 16, 65 dB).
    /// </summary>
    [Fact]
    public void ATenBitEncoderKeepsAGradientFinerThanEightBits()
    {
        const int width = 480, height = 270;
        var path = Path.Combine(TestPaths.NewTempDir(), "sky.mov");
        var sky = new Tensor(new Shape(1, 3, height, width));
        int plane = width * height;
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            float v = 0.30f + 0.06f * x / width + 0.01f * y / height;
            (sky.Data[y * width + x], sky.Data[plane + y * width + x], sky.Data[2 * plane + y * width + x]) = (v, 0.98f * v, 0.95f * v);
        }
        using (var writer = new VideoWriter(path, width, height, "1/10", new EncodeSettings { Codec = "prores_ks" }, frameRate: "10"))
        {
            writer.Write(sky, 0);
            writer.Complete();
        }
        var back = Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb48le", "-" }, ReadOnlyMemory<byte>.Empty, path);
        Assert.Equal(6 * plane, back.Length);
        double squares = 0;
        for (int p = 0; p < plane; p++)
        for (int c = 0; c < 3; c++)
        {
            double d = BitConverter.ToUInt16(back, 6 * p + 2 * c) / 65535.0 - sky.Data[c * plane + p];
            squares += d * d;
        }
        double psnr = 10 * Math.Log10(3.0 * plane / squares);
        // Rounding to 8 bits alone costs 59 dB here (an error of 1/√12 of a level); measured through ProRes: 8 bits 56.2, 16 bits 64.9 dB.
        Assert.True(psnr > 61, $"the gradient came back at {psnr:F1} dB");
    }
}
