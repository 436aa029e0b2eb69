using System.Diagnostics;
using Reel.Engine.Pipeline;
using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>
/// One job, one process (issue 23, failure 2): a second restore into the same output, even through
/// another path to the same folder, and a second `--resume` of one interrupted job, are refused in
/// one line naming the process that holds the work folder, and the first run finishes untouched.
/// The first run is held at its join by an ffmpeg wrapper, so the overlap is certain, not timed.
/// </summary>
public class ConcurrentRunTests
{
    private static void AssertRefusedNaming(ReelProcess.Result second, Process first)
    {
        Assert.True(second.ExitCode == 1, $"the second run was not refused (exit {second.ExitCode}):\n{second.Stderr}");
        var lines = second.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("reel: ")).ToList();
        Assert.True(lines.Count == 1, second.Stderr);
        Assert.Contains($"another reel process (pid {first.Id}) is writing ", lines[0]);
    }

    private static void Finish(Process first, FfmpegWrapper wrapper, string input, string output)
    {
        var stderr = first.StandardError.ReadToEndAsync();
        File.WriteAllText(wrapper.Go, "");
        Assert.True(first.WaitForExit(120_000), "the first run did not finish");
        Assert.True(first.ExitCode == 0, stderr.Result);
        Assert.Equal(24, Media.CountFrames(output));
        Assert.Equal(Media.FrameTimes(input), Media.FrameTimes(output), (a, b) => Math.Abs(a - b) < 2e-6);
        Assert.False(Directory.Exists(RestoreJob.FolderFor(output)), "the work folder outlived the output");
    }

    [Fact]
    public void ASecondRunOnTheSameJobIsRefusedNamingTheFirst()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, seconds: 2.4);
        var output = Path.Combine(dir, "out.mp4");
        var alias = Path.Combine(TestPaths.NewTempDir(), "same-folder");
        File.CreateSymbolicLink(alias, dir);

        // Two restores into one output, the second through a symbolic link to the folder.
        using var wrapper = FfmpegWrapper.WaitingBeforeJoin();
        using (var first = ReelProcess.Start(wrapper.Environment, ReelProcess.FilesOnlyRestore(input, output)))
        {
            wrapper.WaitForJoin(first);
            AssertRefusedNaming(ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, Path.Combine(alias, "out.mp4"))), first);
            // stabilize wrote the same output beside it, both ended "done", and the restore's replaced it unseen.
            AssertRefusedNaming(ReelProcess.Run("stabilize", "--input", input, "--processed", input, "--output", output, "--temporal", "none", "--no-progress"), first);
            Finish(first, wrapper, input, output);
        }
        // Alone, stabilize holds the same claim and leaves no work folder behind.
        var stabilized = Path.Combine(dir, "stabilized.mp4");
        var alone = ReelProcess.Run("stabilize", "--input", input, "--processed", input, "--output", stabilized, "--temporal", "none", "--no-progress");
        Assert.True(alone.ExitCode == 0, alone.Stderr);
        Assert.False(Directory.Exists(RestoreJob.FolderFor(stabilized)), "stabilize left its claim's folder");

        // An interrupted job, then two --resume runs of it.
        using var killed = FfmpegWrapper.WaitingBeforeJoin();
        using (var doomed = ReelProcess.Start(killed.Environment, ReelProcess.FilesOnlyRestore(input, output, "--crf", "20")))
        {
            int waiting = killed.WaitForJoin(doomed);
            doomed.Kill();
            doomed.WaitForExit();
            using var orphan = Process.GetProcessById(waiting);
            orphan.Kill(entireProcessTree: true);
        }
        Assert.True(Directory.Exists(RestoreJob.FolderFor(output)), "the killed run left no work folder to resume");
        using var resuming = FfmpegWrapper.WaitingBeforeJoin();
        using (var first = ReelProcess.Start(resuming.Environment, ReelProcess.FilesOnlyRestore(input, output, "--crf", "20", "--resume")))
        {
            resuming.WaitForJoin(first);
            AssertRefusedNaming(ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output, "--crf", "20", "--resume")), first);
            Finish(first, resuming, input, output);
        }
    }
}
