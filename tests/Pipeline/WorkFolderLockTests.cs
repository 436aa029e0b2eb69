using System.Diagnostics;
using Reel.Engine;
using Reel.Engine.Pipeline;
using Reel.Tests.Support;

namespace Reel.Tests.Pipeline;

/// <summary>
/// The work-folder lock (flock on a file in it) and the pid-carrying temporary names: a held folder
/// is refused naming its holder, through another path too; a released one is taken again; removing
/// it leaves nothing; leftovers are removed only when their owner is dead.
/// </summary>
public class WorkFolderLockTests
{
    [Fact]
    public void AHeldFolderIsRefusedNamingItsHolderThroughAnyPath()
    {
        var dir = TestPaths.NewTempDir();
        var work = Path.Combine(dir, "work");
        var alias = Path.Combine(TestPaths.NewTempDir(), "alias");
        using (var held = WorkFolderLock.Acquire(work, "testing"))
        {
            File.CreateSymbolicLink(alias, work);
            // flock locks belong to an open file, so a second open in this process conflicts as another process
            // would (two threads of a C host): said as a call in this process, not "another reel process" of its own pid.
            var e = Assert.Throws<ReelException>(() => WorkFolderLock.Acquire(alias, "testing again"));
            Assert.Equal($"another call in this process is testing again; wait for it to finish or cancel it ({alias} is locked)", e.Message);
        }
        using (var again = WorkFolderLock.Acquire(work, "testing"))
        {
            File.WriteAllText(Path.Combine(work, "piece"), "x");
            again.DeleteFolder();
        }
        Assert.False(Directory.Exists(work));
        using (WorkFolderLock.Acquire(work, "testing")) Assert.True(File.Exists(Path.Combine(work, WorkFolderLock.FileName)));
    }

    [Fact]
    public void OnlyLeftoversOfDeadProcessesAreRemoved()
    {
        var dir = TestPaths.NewTempDir();
        int dead;
        using (var p = Process.Start("true")!)
        {
            p.WaitForExit();
            dead = p.Id;
        }
        var target = Path.Combine(dir, "out.mp4");
        string Leftover(int pid) => Path.Combine(dir, $".out.{pid}-{Guid.NewGuid():N}.tmp.mp4");
        string deadOne = Leftover(dead), mine = Leftover(Environment.ProcessId), initOne = Leftover(1);
        foreach (var f in new[] { deadOne, mine, initOne }) File.WriteAllText(f, "partial");
        File.WriteAllText(Path.Combine(dir, ".out.not-a-pid.tmp.mp4"), "someone else's");
        Assert.Equal(1, TempFile.RemoveOrphans(target));
        Assert.False(File.Exists(deadOne));
        Assert.True(File.Exists(mine) && File.Exists(initOne));
        Assert.Matches($@"^\.out\.{Environment.ProcessId}-[0-9a-f]{{32}}\.tmp\.mp4$", Path.GetFileName(TempFile.Beside(target)));
    }

    [Fact]
    public void FilesAreComparedByWhatTheyAreNotHowTheyAreSpelled()
    {
        var dir = TestPaths.NewTempDir();
        var file = Path.Combine(dir, "a.mp4");
        File.WriteAllText(file, "x");
        var link = Path.Combine(dir, "b.mp4");
        File.CreateSymbolicLink(link, file);
        Assert.True(FileIdentity.Same(file, link));
        Assert.True(FileIdentity.Same(file, Path.Combine(dir, "..", Path.GetFileName(dir), "a.mp4")));
        File.WriteAllText(Path.Combine(dir, "c.mp4"), "x");
        Assert.False(FileIdentity.Same(file, Path.Combine(dir, "c.mp4")));
        Assert.False(FileIdentity.Same(file, Path.Combine(dir, "missing.mp4")));
        Assert.Null(FileIdentity.Of(Path.Combine(dir, "missing.mp4")));
    }
}
