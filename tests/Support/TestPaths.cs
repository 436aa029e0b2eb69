using Reel.Engine;

namespace Reel.Tests.Support;

/// <summary>Where the repository and the shared test data are; a missing path fails the test by name.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>A file or folder under ../shared/data; fails with the path when it is missing.</summary>
    public static string SharedData(string relative)
    {
        var path = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data", relative));
        if (!File.Exists(path) && !Directory.Exists(path))
            Assert.Fail($"test data missing: {path} (the shared/ folder must sit beside the repository)");
        return path;
    }

    public static string NewTempDir()
    {
        var dir = Path.Combine(RunFolder.Value, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// This test run's scratch folder, <c>$TMPDIR/reel-tests/run-PID-GUID</c> (a full run writes over a
    /// gigabyte of clips, frames and pieces), deleted as the run's process exits. The test host may be
    /// stopped before that is done, so each run also removes the folders of earlier runs, which it tells
    /// by their owner being gone: what stays behind is one run's at most.
    /// </summary>
    private static readonly Lazy<string> RunFolder = new(() =>
    {
        var root = Path.Combine(Path.GetTempPath(), "reel-tests");
        Directory.CreateDirectory(root);
        OwnedName.RemoveOrphans(root, "run-", "");
        var run = Directory.CreateDirectory(Path.Combine(root, "run-" + OwnedName.NewTag())).FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(run, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Something still holds a file: the next run removes the folder as an orphan.
            }
        };
        return run;
    });

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Engine.sln"))) return dir.FullName;
        throw new InvalidOperationException($"Engine.sln not found above {AppContext.BaseDirectory}");
    }
}
