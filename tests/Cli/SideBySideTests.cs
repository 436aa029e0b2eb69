using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>`reel restore … --side-by-side FILE`: the input and the restored video side by side, frame for frame.</summary>
public class SideBySideTests
{
    /// <summary>
    /// Matroska keeps times to the millisecond: 29.97 fps frames came back a fraction of a millisecond off the input's
    /// and hstack showed each frame twice, each half in turn (60 frames restored, 117 in the review).
    /// </summary>
    [Fact]
    public void PairsFramesWhoseTimesTheOutputRounds()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, rate: "30000/1001", seconds: 0.5, audio: false);
        string output = Path.Combine(dir, "out.mkv"), review = Path.Combine(dir, "review.mp4");
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output, "--side-by-side", review));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(Media.CountFrames(output), Media.CountFrames(review));
    }

    [Fact]
    public void PairsEveryFrameOfAVariableRateClipAndLastsAsLong()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, vfr: true);
        string output = Path.Combine(dir, "out.mp4"), review = Path.Combine(dir, "review.mp4");
        var r = ReelProcess.Run("restore", input, output, "--denoiser", TestPaths.SharedData("weights/kair_dncnn_25.pth"),
            "--colorizer", Golden.Colorizer.File("eccv16.pth"), "--no-stabilize", "--no-progress", "--side-by-side", review);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(new[] { "in.mp4", "out.mp4", "review.mp4" }, Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Order());

        var (restored, pair) = (VideoFile.Probe(output), VideoFile.Probe(review));
        Assert.Equal((2 * restored.Width, restored.Height, restored.FrameCount), (pair.Width, pair.Height, pair.FrameCount));
        Assert.True(pair.HasAudio, "the restored video's audio was not carried");
        var (times, pairTimes) = (Media.FrameTimes(output), Media.FrameTimes(review));
        Assert.Equal(times.Count, pairTimes.Count);
        for (int i = 0; i < times.Count; i++) Assert.True(Math.Abs(times[i] - pairTimes[i]) < 1e-3, $"frame {i}: {times[i]} s vs {pairTimes[i]} s");

        // Left: the input; right: the restored video; each within H.264's error of its own source
        // and far from the other's.
        int w = restored.Width, h = restored.Height;
        var before = VideoFile.ReadFrames(input, VideoFile.Probe(input)).First().Pixels;
        var after = VideoFile.ReadFrames(output, restored).First().Pixels;
        var both = VideoFile.ReadFrames(review, pair).First().Pixels;
        double Error(int offset, byte[] source)
        {
            double sum = 0;
            for (int y = 0; y < h; y++)
                for (int i = 0; i < w * 3; i++)
                    sum += Math.Abs(both[y * 2 * w * 3 + offset * 3 + i] - source[y * w * 3 + i]);
            return sum / (w * h * 3);
        }
        double leftInput = Error(0, before), leftOutput = Error(0, after), rightOutput = Error(w, after), rightInput = Error(w, before);
        Assert.True(leftInput < 8 && rightOutput < 8 && leftOutput > 3 * leftInput && rightInput > 3 * rightOutput,
            $"mean |error|: left to the input {leftInput:F2}, to the output {leftOutput:F2}; right to the output {rightOutput:F2}, to the input {rightInput:F2}");
    }

    [Theory]
    [InlineData("webm")]
    [InlineData("folder-output")]
    [InlineData("same-as-output")]
    public void RefusesBeforeAnyWork(string kind)
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, audio: false);
        string output = Path.Combine(dir, kind == "folder-output" ? "frames" : "out.mp4");
        string review = kind switch
        {
            "webm" => Path.Combine(dir, "review.webm"),
            "same-as-output" => output,
            _ => Path.Combine(dir, "review.mp4"),
        };
        var before = Directory.GetFileSystemEntries(dir).Order().ToList();
        var r = ReelProcess.Run("restore", input, output, "--no-denoise", "--no-colorize", "--no-stabilize", "--side-by-side", review);
        // A name it cannot write is a command line to fix (2); the others depend on the output given with it (1).
        Assert.Equal(kind == "webm" ? 2 : 1, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("device:")).ToList();
        Assert.True(lines.Count == 1 && lines[0].StartsWith("reel: error: --side-by-side"), r.Stderr);
        Assert.Equal(before, Directory.GetFileSystemEntries(dir).Order().ToList());
    }
}
