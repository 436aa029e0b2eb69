using Reel.Engine.Pipeline;

namespace Reel.Tests.Pipeline;

/// <summary>
/// What a refused resume or a worker that does not reproduce its plan says: each differing setting with both
/// values, the composite ones (the temporal stage's, the encoder's) narrowed to the words that differ.
/// </summary>
public class SettingsContrastTests
{
    private static Dictionary<string, string> Settings(string stabilize, string encoder = "libx264 crf 17 preset medium") =>
        new() { ["input"] = "sha256 ab (10 bytes)", ["stabilize"] = stabilize, ["encoder"] = encoder };

    [Fact]
    public void EachDifferingWordIsNamedByTheWordBeforeIt()
    {
        var now = Settings("Chroma scale 4 epochs 3 irt False width 32 match off");
        var then = Settings("Chroma scale 4 epochs 2 irt True width 32 match off", "libx264 crf 30 preset medium");
        Assert.Equal(new (string, string?, string?)[] { ("encoder crf", "17", "30"), ("stabilize epochs", "3", "2"), ("stabilize irt", "False", "True") },
            RestorePipeline.Contrast(now, then));
    }

    [Fact]
    public void AdjacentWordsThatDifferAreOneStretch()
    {
        var now = Settings("flow Fast lambda 0.5 fusion 0.5 at T 1");
        var then = Settings("flow Fast lambda 0.5 fusion 0.7 at T 2");
        Assert.Equal(new (string, string?, string?)[] { ("stabilize fusion", "0.5", "0.7"), ("stabilize T", "1", "2") }, RestorePipeline.Contrast(now, then));
        // The first word has nothing before it: the setting's own name labels it.
        Assert.Equal(new (string, string?, string?)[] { ("stabilize", "Rgb", "Chroma") },
            RestorePipeline.Contrast(Settings("Rgb scale 4"), Settings("Chroma scale 4")));
    }

    [Fact]
    public void RecordsOfDifferentLengthsShowTheStretchBetweenTheirCommonEnds()
    {
        var now = Settings("Chroma scale 4 fusion off seed 0");
        var then = Settings("Chroma scale 4 fusion 0.5 at T 1 seed 0");
        Assert.Equal(new (string, string?, string?)[] { ("stabilize fusion", "off", "0.5 at T 1") }, RestorePipeline.Contrast(now, then));
        Assert.Equal(new (string, string?, string?)[] { ("stabilize", "off", "Rgb scale 4") }, RestorePipeline.Contrast(Settings("off"), Settings("Rgb scale 4")));
    }

    [Fact]
    public void OtherSettingsAndMissingOnesAreShownWhole()
    {
        var now = Settings("off");
        now["input"] = "sha256 cd (11 bytes)";
        now["range"] = "1–2 s";
        Assert.Equal(new (string, string?, string?)[] { ("input", "sha256 cd (11 bytes)", "sha256 ab (10 bytes)"), ("range", "1–2 s", null) },
            RestorePipeline.Contrast(now, Settings("off")));
    }

    /// <summary>
    /// The input's identity is what it holds: the same film through a link or at another path is the same input (it refused
    /// to resume), a folder's frame scanned again at the same size is another (a resume mixed the two scans), and a file
    /// beside the frames that is not one (.DS_Store) does not count.
    /// </summary>
    [Fact]
    public void TheInputIsKnownByWhatItHoldsNotWhereItLies()
    {
        var dir = Reel.Tests.Support.TestPaths.NewTempDir();
        var frames = Directory.CreateDirectory(Path.Combine(dir, "scan")).FullName;
        // 64 KiB of pixels a frame: the first, middle and last 4 KiB are samples, the rest is not read.
        var pixels = new byte[256 * 256];
        for (int k = 0; k < 3; k++)
        {
            new Random(k).NextBytes(pixels);
            File.WriteAllBytes(Path.Combine(frames, $"{k:D4}.pgm"), [.. "P5 256 256 255\n"u8, .. pixels]);
        }
        var before = RestorePipeline.Describe(frames);
        var moved = Path.Combine(dir, "moved");
        Directory.CreateSymbolicLink(moved, frames);
        Assert.Equal(before, RestorePipeline.Describe(moved));
        File.WriteAllText(Path.Combine(frames, ".DS_Store"), "the desktop's own");
        Assert.Equal(before, RestorePipeline.Describe(frames));

        // The middle frame scanned again: the same name and size, other pixels in the middle of the file only.
        var middle = Path.Combine(frames, "0001.pgm");
        var bytes = File.ReadAllBytes(middle);
        for (int i = bytes.Length / 2 - 100; i < bytes.Length / 2 + 100; i++) bytes[i] ^= 0x55;
        File.WriteAllBytes(middle, bytes);
        Assert.NotEqual(before, RestorePipeline.Describe(frames));

        var film = Path.Combine(dir, "film.bin");
        File.WriteAllBytes(film, bytes);
        var copy = Path.Combine(Directory.CreateDirectory(Path.Combine(dir, "other-mount")).FullName, "film.bin");
        File.Copy(film, copy);
        Assert.Equal(RestorePipeline.Describe(film), RestorePipeline.Describe(copy));
    }
}
