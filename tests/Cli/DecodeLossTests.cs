using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>
/// What decoding loses is said, never silently restored (issue 23, failure 4): frames that do not
/// decode (a file cut short, damage in the middle), a size that changes mid-stream, and a
/// duration that is not the container's each give one warning line with counts, and --strict
/// makes each an error that writes nothing.
/// </summary>
public class DecodeLossTests
{
    [Theory]
    [InlineData("cut-mp4", "of the 24 frames its container lists could be decoded", "of the 24 frames its container lists could be decoded")]
    [InlineData("damaged-mp4", "of the 24 frames its container lists could be decoded", "of the 24 frames its container lists could be decoded")]
    [InlineData("cut-mkv", "the decoded frames span", "the decoded frames span")]
    [InlineData("size-change", "6 of 12 frames were 96×64, not 64×48 (the size changes mid-stream)", "frame 6 comes at another size than 64×48")]
    public void LossesAreWarnedAboutAndStrictRefusesThem(string kind, string warning, string strictError)
    {
        var dir = TestPaths.NewTempDir();
        var input = Make(dir, kind);
        var output = Path.Combine(dir, "out.mp4");
        string[] Args(params string[] extra) =>
            new[] { "restore", input, output, "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress" }.Concat(extra).ToArray();

        var r = ReelProcess.Run(Args());
        Assert.True(r.ExitCode == 0, r.Stderr);
        var warnings = r.Stderr.Split('\n').Where(l => l.StartsWith("warning: ")).ToList();
        Assert.True(warnings.Count == 1, $"expected one warning, got:\n{r.Stderr}");
        Assert.Contains(warning, warnings[0]);
        int restored = Media.CountFrames(output);
        Assert.InRange(restored, 1, kind == "size-change" ? 12 : 23);
        File.Delete(output);

        r = ReelProcess.Run(Args("--strict"));
        Assert.Equal(1, r.ExitCode);
        var errors = r.Stderr.Split('\n').Where(l => l.StartsWith("reel: ")).ToList();
        Assert.True(errors.Count == 1, r.Stderr);
        Assert.Contains(strictError, errors[0]);
        Assert.Contains("(--strict)", errors[0]);
        Assert.False(File.Exists(output));
        // A loss known only once the input is read to its end comes after the shots are restored: they stay for a
        // resume without --strict (its advice was a strict --resume, which found the loss again, for ever).
        if (kind == "size-change")
            Assert.DoesNotContain("kept in", errors[0]);
        else
        {
            Assert.Contains("run it again with --resume and without --strict to join them as the input decodes", errors[0]);
            r = ReelProcess.Run(Args("--resume"));
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Contains("kept from the interrupted run", r.Stderr);
            Assert.Equal(restored, Media.CountFrames(output));
        }
    }

    /// <summary>
    /// A trimmed MP4 (a phone's trim, ffmpeg -ss with -c copy) keeps the frames before the cut behind an edit list: the
    /// container lists 20, the decoder shows the 12 or 13 after the cut, and "only 13 of the 20 frames its container lists
    /// could be decoded" was a false alarm that failed the run under --strict.
    /// </summary>
    [Fact]
    public void FramesAnEditListHidesAreNotALoss()
    {
        var dir = TestPaths.NewTempDir();
        var clip = Media.MakeClip(dir, "clip.mp4", seconds: 2, audio: false);
        var input = Path.Combine(dir, "trimmed.mp4");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-ss", "0.75", "-i", clip, "-c", "copy", input }, ReadOnlyMemory<byte>.Empty, input);
        Assert.Equal(20, VideoFile.Probe(clip).FrameCount);
        var output = Path.Combine(dir, "out.mp4");
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output, "--strict"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("warning", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(Media.CountFrames(input), Media.CountFrames(output));
    }

    private static string Make(string dir, string kind)
    {
        switch (kind)
        {
            case "cut-mp4" or "damaged-mp4":
            {
                // moov first (faststart), as streaming sites serve it: the container lists all 24 frames up front.
                var clip = Media.MakeClip(dir, "clip.mp4", seconds: 2.4, audio: false);
                var input = Path.Combine(dir, "in.mp4");
                Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-i", clip, "-c", "copy", "-movflags", "+faststart", input }, ReadOnlyMemory<byte>.Empty, input);
                var bytes = File.ReadAllBytes(input);
                if (kind == "cut-mp4") File.WriteAllBytes(input, bytes[..(bytes.Length / 2)]);
                else
                {
                    for (int i = bytes.Length / 2; i < bytes.Length / 2 + 3000; i++) bytes[i] = (byte)(bytes[i] * 7 + 13);
                    File.WriteAllBytes(input, bytes);
                }
                return input;
            }
            case "cut-mkv":
            {
                // Matroska records no frame count, only the duration (and per stream in a tag).
                var input = Media.MakeClip(dir, "in.mkv", seconds: 2.4, audio: false);
                var bytes = File.ReadAllBytes(input);
                File.WriteAllBytes(input, bytes[..(bytes.Length * 6 / 10)]);
                return input;
            }
            default:
            {
                // Two MPEG-TS segments of different sizes, back to back, as a recorder that switched resolution writes them.
                var a = Media.MakeClip(dir, "a.ts", size: "64x48", audio: false);
                var b = Path.Combine(dir, "b.ts");
                Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-i", Media.MakeClip(dir, "b0.ts", size: "96x64", audio: false),
                    "-c", "copy", "-output_ts_offset", "0.6", b }, ReadOnlyMemory<byte>.Empty, b);
                var input = Path.Combine(dir, "in.ts");
                File.WriteAllBytes(input, File.ReadAllBytes(a).Concat(File.ReadAllBytes(b)).ToArray());
                return input;
            }
        }
    }
}
