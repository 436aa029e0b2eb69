using System.Text.Json;
using Reel.Engine.Pipeline;
using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>
/// Nothing ffmpeg writes is trusted until it is read back (issue 23, failures 1 and 2): a disk
/// that fills during a piece or during the join, and a piece that vanishes before the join, end in
/// one error line that gives the cause, with the old output untouched, the finished pieces kept,
/// and a `--resume` that finishes the film. No networks run: these are about the files.
/// </summary>
public class VerifiedOutputTests
{
    private static IReadOnlyList<string> ErrorLines(string stderr) =>
        stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("reel: ")).ToList();

    private static int PiecesRecorded(string output)
    {
        var job = Path.Combine(RestoreJob.FolderFor(output), "job.json");
        Assert.True(File.Exists(job), $"the work folder's record {job} is gone");
        return JsonDocument.Parse(File.ReadAllText(job)).RootElement.GetProperty("Pieces").GetArrayLength();
    }

    [Theory]
    [InlineData("join")]
    [InlineData("piece")]
    public void AFullDiskKeepsTheOldOutputAndTheFinishedPieces(string fillsDuring)
    {
        // A reference run on a roomy disk: the size the output (and so the pieces together) will have.
        var scratch = TestPaths.NewTempDir();
        // Silent: the room below is counted in pieces, which hold the video alone.
        var clip = Media.MakeClip(scratch, seconds: 2.4, audio: false);
        var reference = Path.Combine(scratch, "reference.mp4");
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(clip, reference));
        Assert.True(r.ExitCode == 0, r.Stderr);
        long outputBytes = new FileInfo(reference).Length, clipBytes = new FileInfo(clip).Length;

        // Room for the input, the old output and then: every piece but not the joined copy, or
        // one and a half pieces (the second fills the disk).
        long room = fillsDuring == "join" ? outputBytes * 3 / 2 : outputBytes / 2;
        using var disk = new Tmpfs(clipBytes + outputBytes + room + 16 * 1024);
        var input = Path.Combine(disk.Folder, "in.mp4");
        var output = Path.Combine(disk.Folder, "out.mp4");
        File.Copy(clip, input);
        File.Copy(reference, output);
        var oldOutput = File.ReadAllBytes(output);

        r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output));
        Assert.True(r.ExitCode == 1, $"exit {r.ExitCode} on a full disk:\n{r.Stderr}");
        var lines = ErrorLines(r.Stderr);
        Assert.True(lines.Count == 1 && lines[0].StartsWith("reel: error: "), r.Stderr);
        Assert.Contains("No space left on device", lines[0]);
        Assert.Contains("--resume", lines[0]);
        Assert.Equal(oldOutput, File.ReadAllBytes(output));
        Assert.Equal(fillsDuring == "join" ? 3 : 1, PiecesRecorded(output));
        // No partial file beside the output: only the input, the old output and the work folder.
        Assert.Equal(new[] { ".out.mp4.reel-work", "in.mp4", "out.mp4" }, Directory.GetFileSystemEntries(disk.Folder).Select(Path.GetFileName).Order());

        disk.Grow(clipBytes + 4 * outputBytes + 64 * 1024);
        r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output, "--resume"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(24, Media.CountFrames(output));
        Assert.Equal(new[] { "in.mp4", "out.mp4" }, Directory.GetFileSystemEntries(disk.Folder).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void APieceThatVanishesBeforeTheJoinIsNotAShortFilm()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, seconds: 2.4);
        var output = Path.Combine(dir, "out.mp4");
        File.WriteAllText(output, "the old output");
        using var wrapper = FfmpegWrapper.DeletingPiece("piece-00002.nut");

        var r = ReelProcess.RunWithEnvironment(wrapper.Environment, ReelProcess.FilesOnlyRestore(input, output));
        Assert.True(r.ExitCode == 1, $"exit {r.ExitCode} with a piece missing from the join:\n{r.Stderr}");
        var lines = ErrorLines(r.Stderr);
        Assert.True(lines.Count == 1, r.Stderr);
        // ffmpeg's concat stops at the missing piece and exits 0: reel counts what it wrote.
        Assert.Matches(@"holds ([0-9]|1[0-9]|2[0-3]) of the 24 frames sent", lines[0]);
        Assert.Equal("the old output", File.ReadAllText(output));
        Assert.Equal(3, PiecesRecorded(output));

        // The real ffmpeg again: the missing piece is found on resume and made again. With the first gone too, every
        // piece is made again, and the run is still the interrupted one continued (it also said "no interrupted run").
        File.Delete(Path.Combine(RestoreJob.FolderFor(output), "piece-00001.nut"));
        r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output, "--resume"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("piece-00001.nut is missing", r.Stderr);
        Assert.DoesNotContain("no interrupted run", r.Stderr);
        Assert.Equal(24, Media.CountFrames(output));
        Assert.Equal(Media.FrameTimes(input), Media.FrameTimes(output), (a, b) => Math.Abs(a - b) < 2e-6);
        Assert.False(Directory.Exists(RestoreJob.FolderFor(output)));
    }

    /// <summary>
    /// A kept piece of another size (a stale copy put in the work folder) is made again on resume: the join, which takes the
    /// pieces as read back, checks no piece's size but the first's, so the resume's reading checks each against the film's.
    /// </summary>
    [Fact]
    public void AKeptPieceOfAnotherSizeIsMadeAgain()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, seconds: 2.4, audio: false);
        var output = Path.Combine(dir, "out.mp4");
        using (var wrapper = FfmpegWrapper.DeletingPiece("piece-00003.nut"))
            Assert.Equal(1, ReelProcess.RunWithEnvironment(wrapper.Environment, ReelProcess.FilesOnlyRestore(input, output)).ExitCode);
        var stale = Path.Combine(RestoreJob.FolderFor(output), "piece-00002.nut");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=32x24:rate=10", "-frames:v", "8", "-c:v", "libx264", "-pix_fmt", "yuv420p", stale },
            ReadOnlyMemory<byte>.Empty, stale);

        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output, "--resume"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("its frames are 32×24, not 64×48", r.Stderr);
        Assert.Equal(24, Media.CountFrames(output));
        Assert.Equal(new[] { "64,48" }, Media.Probe(output, "-select_streams", "v:0", "-show_entries", "stream=width,height"));
    }

    /// <summary>
    /// Each piece is read back once, as its encoder closes: the join read every piece again before it began,
    /// decoding the whole film a second time at the end of a restore. The first is read again for its size.
    /// </summary>
    [Fact]
    public void EveryPieceIsReadBackOnce()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, seconds: 2.4, audio: false);
        var output = Path.Combine(dir, "out.mp4");
        var log = Path.Combine(dir, "reads.log");
        var probe = Path.Combine(dir, "ffprobe");
        // Logs the file of every full decode (-count_frames: a read-back), then is the real ffprobe.
        File.WriteAllText(probe, "#!/bin/sh\n" +
            $"case \" $* \" in *\" -count_frames \"*) for a in \"$@\"; do last=\"$a\"; done; echo \"$last\" >> '{log}';; esac\n" +
            $"exec '{Ffmpeg.FfprobePath}' \"$@\"\n");
        File.SetUnixFileMode(probe, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var r = ReelProcess.RunWithEnvironment(new Dictionary<string, string> { ["REEL_FFPROBE"] = probe }, ReelProcess.FilesOnlyRestore(input, output));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var reads = File.ReadAllLines(log).Select(Path.GetFileName).ToList();
        int ReadsOf(string piece) => reads.Count(f => f!.Contains(piece, StringComparison.Ordinal));
        Assert.True((ReadsOf("piece-00001"), ReadsOf("piece-00002"), ReadsOf("piece-00003")) == (2, 1, 1), string.Join('\n', reads));
        Assert.Equal(24, Media.CountFrames(output));
    }

    [Fact]
    public void AOneFrameVideoLastsOneFrame()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, seconds: 0.1, audio: false);
        Assert.Equal(1, VideoFile.Probe(input).FrameCount);
        var output = Path.Combine(dir, "out.mp4");
        var r = ReelProcess.Run("restore", input, output, "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var info = VideoFile.Probe(output);
        Assert.Equal(1, info.FrameCount);
        Assert.True(info.DurationSeconds is > 0.09 and < 0.11, $"a one-frame video at 10 fps lasts {info.DurationSeconds} s");
    }

    /// <summary>
    /// A 59.94 fps film's frames each last 1001 ticks of 1/60000 s, its last one too: ffmpeg guessed 60 fps
    /// from the encoder's input and made the output 3 ticks short (the last frame and the first two decode times).
    /// </summary>
    [Theory]
    [InlineData("60000/1001")]
    [InlineData("24000/1001")]
    public void AnNtscVideoLastsAsLongAsItsSource(string rate)
    {
        var dir = TestPaths.NewTempDir();
        Assert.True(Rational.TryParse(rate, out var num, out var den));
        // Two pieces of 8 frames.
        var input = Media.MakeClip(dir, rate: rate, seconds: 16.0 * den / num, audio: false);
        var output = Path.Combine(dir, "out.mp4");
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output));
        Assert.True(r.ExitCode == 0, r.Stderr);
        string Duration(string path) => Media.Probe(path, "-select_streams", "v:0", "-show_entries", "stream=duration").Single();
        Assert.Equal(Duration(input), Duration(output));
    }
}
