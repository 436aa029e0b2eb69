using System.Diagnostics;
using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>
/// A stalled encoder or decoder (issue 22: every ffmpeg child has a bounded lifetime): an ffmpeg
/// that stops reading, writing and computing is stopped after the stall limit
/// (<see cref="ToolProcess.StallVariable"/>, 2 s here), and reel ends with one line naming the tool and what
/// it was doing, a non-zero exit, no output and no ffmpeg left behind.
/// </summary>
public class StalledFfmpegTests
{
    [Theory]
    [InlineData("*piece-0000*", "encoding")]
    [InlineData("showinfo", "decoding")]
    public async Task AStalledFfmpegIsStoppedWithOneClearLine(string trigger, string doing)
    {
        var dir = TestPaths.NewTempDir();
        // 320×240 rgb24 frames (230 KB) fill the encoder's input pipe at the first frame.
        var input = Media.MakeClip(dir, size: "320x240", seconds: 1.2, audio: false);
        var output = Path.Combine(dir, "out.mp4");
        using var wrapper = FfmpegWrapper.Stalling(trigger);
        var env = new Dictionary<string, string>(wrapper.Environment) { [ToolProcess.StallVariable] = "2" };
        using var p = ReelProcess.Start(env, ReelProcess.FilesOnlyRestore(input, output));
        var stderr = p.StandardError.ReadToEndAsync();
        int stalled = wrapper.WaitForJoin(p);
        var clock = Stopwatch.StartNew();
        // The limit, a second of the watch's ticks and room for a loaded machine; without the limit it would wait two minutes.
        Assert.True(p.WaitForExit(30_000), "reel was still waiting on the stalled ffmpeg 30 s later");
        var seconds = clock.Elapsed.TotalSeconds;
        var text = await stderr;
        Assert.True(p.ExitCode != 0, $"exit 0 after a stalled ffmpeg:\n{text}");
        var errors = text.Split('\n').Where(l => l.StartsWith("reel: error: ", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 1, text);
        Assert.Matches($@"^reel: error: ffmpeg stalled while {doing} \S+: no progress for 2 s, so it was stopped \({ToolProcess.StallVariable} sets how long to wait\)", errors[0]);
        Assert.True(seconds >= 1, $"stopped after {seconds:F1} s, before the 2 s limit");
        Assert.False(ReelProcess.Alive(stalled), "the stalled ffmpeg outlived reel");
        Assert.False(File.Exists(output));
    }

    /// <summary>SIGTERM ends a run waiting on a stalled decoder at once (the decoder is stopped, not waited for).</summary>
    [Fact]
    public async Task SigtermStopsARunWaitingOnAStalledDecoder()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, audio: false);
        var output = Path.Combine(dir, "out.mp4");
        using var wrapper = FfmpegWrapper.Stalling("showinfo");
        var env = new Dictionary<string, string>(wrapper.Environment) { [ToolProcess.StallVariable] = "600" };
        using var p = ReelProcess.Start(env, ReelProcess.FilesOnlyRestore(input, output));
        var stderr = p.StandardError.ReadToEndAsync();
        int stalled = wrapper.WaitForJoin(p);
        ReelProcess.Signal(p, "TERM");
        Assert.True(p.WaitForExit(15_000), "reel still waiting on the stalled decoder 15 s after SIGTERM");
        var text = await stderr;
        Assert.True(p.ExitCode == 143, $"exit {p.ExitCode}:\n{text}");
        Assert.Contains("reel: interrupted by SIGTERM", text);
        Assert.False(ReelProcess.Alive(stalled), "the stalled decoder outlived reel");
    }
}
