using Reel.Engine.Pipeline;
using Reel.Engine.Tensors;
using Reel.Engine.Video;
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

    [Theory]
    [InlineData("f1.png f2.png f4.png f5.png f9.png", "4 frames missing from the numbering, first between f2.png and f4.png, one more gap after it")]
    [InlineData("scan_0099.dpx scan_0100.dpx scan_0102.DPX", "1 frame missing from the numbering, first between scan_0100.dpx and scan_0102.DPX;")]
    [InlineData("a1.png a3.png a5.png a7.png", "3 frames missing from the numbering, first between a1.png and a3.png, 2 more gaps after it")]
    [InlineData("f1.png f2.png f3.png", null)]
    [InlineData("f01.png f1.png f2.png", null)] // the same number twice is no gap
    [InlineData("a1.png b3.png", null)] // not one sequence
    [InlineData("a1.png a3.jpg", null)]
    [InlineData("intro.png f3.png", null)]
    [InlineData("f\uFF11.png f\uFF13.png", null)] // full-width digits are not frame numbers (nor a crash)
    public void GapsInTheNumberingAreNamed(string files, string? said)
    {
        var dir = TestPaths.NewTempDir();
        foreach (var n in files.Split(' ')) File.WriteAllText(Path.Combine(dir, n), "");
        var gaps = FrameFolder.Gaps(FrameFolder.List(dir), dir);
        if (said is null) Assert.Null(gaps);
        else Assert.Equal($"{dir}: {said}", gaps![..(dir.Length + 2 + said.Length)]);
    }

    [Theory]
    [InlineData("f01.png f1.png f2.png", "f01.png and f1.png have one number, 1; both are restored, one after the other")]
    [InlineData("f1.png f01.png f2.png f002.png", "f01.png and f1.png have one number, 1 (2 such pairs); both are restored, one after the other")]
    [InlineData("f1.png f2.png f3.png", null)]
    [InlineData("a1.png b1.png", null)] // not one sequence
    public void NumbersGivenTwiceAreNamed(string files, string? said)
    {
        var dir = TestPaths.NewTempDir();
        foreach (var n in files.Split(' ')) File.WriteAllText(Path.Combine(dir, n), "");
        var repeats = FrameFolder.Repeats(FrameFolder.List(dir), dir);
        Assert.Equal(said is null ? null : $"{dir}: {said}", repeats);
    }

    [Fact]
    public void AJobRecordsANumberOrderUnlikeTheCharacterOrder()
    {
        var unpadded = TestPaths.NewTempDir();
        var padded = TestPaths.NewTempDir();
        foreach (var n in new[] { "f1.png", "f2.png", "f10.png" }) ImageIO.Write(Path.Combine(unpadded, n), new Tensor(new Shape(1, 1, 4, 4)));
        foreach (var n in new[] { "f01.png", "f02.png", "f10.png" }) ImageIO.Write(Path.Combine(padded, n), new Tensor(new Shape(1, 1, 4, 4)));
        // A job interrupted while folders were taken in character order must not resume in number order.
        Assert.Equal("by the numbers in the names", RestorePipeline.Settings(FrameSource.Open(unpadded), new RestoreOptions())["frame-order"]);
        Assert.False(RestorePipeline.Settings(FrameSource.Open(padded), new RestoreOptions()).ContainsKey("frame-order"));
    }
}
