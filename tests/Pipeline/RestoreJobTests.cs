using Reel.Engine;
using Reel.Engine.Pipeline;
using Reel.Tests.Support;

namespace Reel.Tests.Pipeline;

/// <summary>
/// A work folder whose record (job.json) is gone but whose finished work is not: refused with or without
/// --resume, naming what it holds, and nothing in it removed (a fresh start used to delete it all unasked).
/// </summary>
public class RestoreJobTests
{
    private static readonly Dictionary<string, string> Settings = new() { ["input"] = "a film", ["stabilize"] = "epochs 2" };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FinishedWorkWithoutItsRecordIsRefusedAndKept(bool resume)
    {
        var output = Path.Combine(TestPaths.NewTempDir(), "out.mp4");
        string folder;
        using (var job = RestoreJob.Open(output, Settings, resume: false))
        {
            folder = job.Folder;
            foreach (var (start, end) in new[] { (0, 3), (3, 6) })
            {
                var piece = job.PiecePath(job.Pieces.Count, ".nut");
                File.WriteAllText(piece, "frames");
                job.Add(new RestorePiece(start, end, start * 40_000_000L, Path.GetFileName(piece)));
            }
            File.WriteAllText(job.TrainingPath(job.Pieces.Count), "weights");
        }
        File.Delete(Path.Combine(folder, "job.json"));
        var kept = Directory.GetFiles(folder).Select(Path.GetFileName).Order().ToArray();

        var e = Assert.Throws<ReelException>(() => RestoreJob.Open(output, Settings, resume));
        Assert.Equal($"{folder} holds 2 finished pieces and a shot's saved training but not job.json, the record of what it was made with, " +
                     "so it cannot be continued; delete that folder to start over", e.Message);
        Assert.Equal(kept, Directory.GetFiles(folder).Select(Path.GetFileName).Order().ToArray());

        // Deleted as the message says, the folder's next run starts afresh.
        Directory.Delete(folder, recursive: true);
        using (var fresh = RestoreJob.Open(output, Settings, resume))
            Assert.Equal(0, fresh.FramesDone);
    }

    [Fact]
    public void AFolderOutputsFramesWithoutTheirRecordAreRefused()
    {
        var output = Path.Combine(TestPaths.NewTempDir(), "frames-out");
        string folder;
        using (var job = RestoreJob.Open(output, Settings, resume: false))
        {
            folder = job.Folder;
            var frames = job.PrepareFrames();
            File.WriteAllText(Path.Combine(frames, "f1.png"), "frame");
            File.WriteAllText(Path.Combine(frames, ".f2.png.tmp"), "half a frame");
        }
        File.Delete(Path.Combine(folder, "job.json"));
        var e = Assert.Throws<ReelException>(() => RestoreJob.Open(output, Settings, resume: true));
        Assert.StartsWith($"{folder} holds a finished frame but not job.json", e.Message);
        Assert.True(File.Exists(Path.Combine(folder, RestoreJob.FramesFolder, "f1.png")));
    }
}
