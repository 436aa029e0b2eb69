using System.Diagnostics;

namespace Reel.Tests.Support;

/// <summary>
/// A small tmpfs mounted for one test: a disk that really fills up. Mounting needs root, which CI
/// has; elsewhere the test fails saying so rather than passing without having tried.
/// </summary>
public sealed class Tmpfs : IDisposable
{
    public Tmpfs(long bytes)
    {
        if (!Environment.IsPrivilegedProcess)
            Assert.Fail("this test mounts a tmpfs to fill a disk for real and needs root (CI runs as root); run the tests as root");
        Folder = TestPaths.NewTempDir();
        Mount("-t", "tmpfs", "-o", $"size={Pages(bytes)}k", "tmpfs", Folder);
    }

    public string Folder { get; }

    /// <summary>Gives the file system room again (a user freeing space).</summary>
    public void Grow(long bytes) => Mount("-o", $"remount,size={Pages(bytes)}k", Folder);

    public long FreeBytes => new DriveInfo(Folder).AvailableFreeSpace;

    private static long Pages(long bytes) => (bytes + 4095) / 4096 * 4;

    private static void Mount(params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo("mount", args) { RedirectStandardError = true })!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) Assert.Fail($"mount {string.Join(' ', args)} failed: {err}");
    }

    public void Dispose()
    {
        // Lazy: a process that still holds a file there must not keep the mount (or fail the test) forever.
        using var p = Process.Start(new ProcessStartInfo("umount", new[] { "-l", Folder }) { RedirectStandardError = true })!;
        p.WaitForExit();
    }
}
