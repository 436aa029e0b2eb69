using System.Runtime;
using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Video;

/// <summary>Run apart from other tests: it counts the whole process's open pipes.</summary>
[Collection(nameof(SerialCollection))]
public sealed class ToolProcessTests
{
    private static int OpenPipes() =>
        Directory.GetFiles("/proc/self/fd").Count(fd => new FileInfo(fd).LinkTarget?.StartsWith("pipe:", StringComparison.Ordinal) == true);

    /// <summary>
    /// Every tool's stdin, stdout and stderr pipes are closed when it is disposed. They were left to the
    /// garbage collector: a host process embedding libreel.so held 17 more pipes after each restore and ran
    /// out of descriptors (ulimit -n 64) on its fourth. No collection may run while counting, or the
    /// finalizers would close what was leaked and hide it.
    /// </summary>
    [Fact]
    public void ADisposedToolLeavesNoPipeOpen()
    {
        using (var warm = ToolProcess.Start(Ffmpeg.FfmpegPath, new[] { "-version" }, "warming up")) warm.WaitForExit();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        int before = OpenPipes();
        Assert.True(GC.TryStartNoGCRegion(32 << 20), "no-GC region refused");
        int after;
        try
        {
            for (int i = 0; i < 10; i++)
            {
                using var fed = ToolProcess.Start(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "rawvideo", "-s", "4x4", "-pix_fmt", "gray", "-i", "-", "-f", "null", "-" },
                    "reading a frame", feedInput: true);
                fed.Input.Write(new byte[16]);
                fed.CloseInput();
                Assert.Equal(0, fed.WaitForExit());
                using var read = ToolProcess.Start(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", "color=size=4x4:duration=0.1", "-f", "rawvideo", "-" },
                    "writing frames", readOutput: true);
                read.Output.CopyTo(Stream.Null);
                Assert.Equal(0, read.WaitForExit());
            }
            after = OpenPipes();
        }
        finally
        {
            if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        }
        Assert.True(after <= before, $"{after - before} pipes left open by 20 disposed tools");
    }
}
