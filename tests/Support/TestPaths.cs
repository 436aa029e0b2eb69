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
        var dir = Path.Combine(Path.GetTempPath(), "reel-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Engine.sln"))) return dir.FullName;
        throw new InvalidOperationException($"Engine.sln not found above {AppContext.BaseDirectory}");
    }
}
