using Reel.Engine.Pipeline;
using Reel.Tests.Support;

namespace Reel.Tests.Pipeline;

/// <summary>
/// A folder's frames come in the order their numbers give, padded or not, and the film-scan
/// formats (DPX, JPEG 2000) count as frames.
/// </summary>
public class FrameFolderTests
{
    [Fact]
    public void FramesComeInNumberOrderWhetherPaddedOrNot()
    {
        var dir = TestPaths.NewTempDir();
        var names = new[] { "f10.png", "f9.png", "f2.png", "f1.png", "f100.png", "notes.txt", "scan_0007.DPX", "scan_0012.dpx", "scan_08.jp2" };
        foreach (var n in names) File.WriteAllText(Path.Combine(dir, n), "");
        var listed = FrameFolder.List(dir).Select(Path.GetFileName).ToArray();
        Assert.Equal(new[] { "f1.png", "f2.png", "f9.png", "f10.png", "f100.png", "scan_0007.DPX", "scan_08.jp2", "scan_0012.dpx" }, listed);
    }

    [Theory]
    [InlineData("a1b2", "a1b10", -1)]
    [InlineData("reel2.0086400", "reel10.0000001", -1)]
    [InlineData("f01", "f1", -1)] // the same number: character order decides, so the order is total
    [InlineData("f1", "f01", 1)]
    [InlineData("f000000000000000000000000012", "f11", 1)] // longer than any integer type
    [InlineData("f", "f1", -1)]
    [InlineData("f1", "f1", 0)]
    [InlineData("B", "a", -1)]
    public void NamesCompareByTheirNumbersThenByCharacter(string x, string y, int sign)
    {
        Assert.Equal(sign, Math.Sign(FrameFolder.CompareNames(x, y)));
        Assert.Equal(-sign, Math.Sign(FrameFolder.CompareNames(y, x)));
    }
}
