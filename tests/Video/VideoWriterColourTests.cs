using System.Text;
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
        var red = new byte[width * height * 3];
        for (int i = 0; i < red.Length; i += 3) red[i] = 255;
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
}
