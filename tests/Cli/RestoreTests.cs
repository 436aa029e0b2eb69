using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>`reel restore` end to end on tiny generated clips, and every bad input it must refuse cleanly.</summary>
public class RestoreTests
{
    private static string MakeClip(string dir, string name = "in.mp4", string size = "64x48", double seconds = 0.6, bool audio = true) =>
        Media.MakeClip(dir, name, size, seconds, audio);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RestoreKeepsFramesSizeAndAudioAndAddsColour(bool stabilize)
    {
        var dir = TestPaths.NewTempDir();
        var input = MakeClip(dir);
        var output = Path.Combine(dir, "out.mp4");
        var args = new List<string> { "restore", input, output, "--denoiser", TestPaths.SharedData("weights/kair_dncnn_25.pth"),
            "--colorizer", Golden.Colorizer.File("eccv16.pth"), "--no-progress" };
        args.AddRange(stabilize ? ["--epochs", "1", "--no-irt"] : ["--no-stabilize"]);
        var r = ReelProcess.Run(args.ToArray());
        Assert.True(r.ExitCode == 0, r.Stderr);
        var (inInfo, outInfo) = (VideoFile.Probe(input), VideoFile.Probe(output));
        Assert.Equal((inInfo.Width, inInfo.Height, inInfo.FrameCount), (outInfo.Width, outInfo.Height, outInfo.FrameCount));
        Assert.True(outInfo.HasAudio, "audio was not kept");
        var first = VideoFile.ReadFrames(output, outInfo).First().Pixels;
        int coloured = 0;
        for (int i = 0; i < first.Length; i += 3)
            if (Math.Abs(first[i] - first[i + 1]) > 4 || Math.Abs(first[i + 1] - first[i + 2]) > 4) coloured++;
        Assert.True(coloured > first.Length / 6, $"only {coloured} coloured pixels");
        Assert.Equal(2, Directory.GetFiles(dir).Length);
    }

    /// <summary>
    /// With --memory-mb below what DnCNN's activations need for a whole frame (42 MB at 428×240), the
    /// restore says so and denoises in tiles, and the frames are the whole-frame run's, rounding apart.
    /// </summary>
    [Fact]
    public void ATightBudgetDenoisesInTilesAndGivesTheSameFrames()
    {
        var dir = TestPaths.NewTempDir();
        var input = Directory.CreateDirectory(Path.Combine(dir, "in")).FullName;
        foreach (var name in new[] { "00000.jpg", "00001.jpg", "00002.jpg" })
            File.Copy(TestPaths.SharedData(Path.Combine("video/goat-colorization-input", name)), Path.Combine(input, name));
        string[] Restore(string output, params string[] extra) =>
            new[] { "restore", input, Path.Combine(dir, output), "--denoiser", TestPaths.SharedData("weights/kair_dncnn_25.pth"),
                "--no-colorize", "--no-stabilize", "--fps", "10", "--no-progress" }.Concat(extra).ToArray();
        var whole = ReelProcess.Run(Restore("whole"));
        Assert.True(whole.ExitCode == 0, whole.Stderr);
        Assert.DoesNotContain("tiles", whole.Stderr);
        var tiled = ReelProcess.Run(Restore("tiled", "--memory-mb", "30"));
        Assert.True(tiled.ExitCode == 0, tiled.Stderr);
        Assert.Matches(@"denoising in \d+ tiles of \d+×\d+ to stay within --memory-mb", tiled.Stderr);
        int values = 0, differing = 0;
        foreach (var name in new[] { "00000.png", "00001.png", "00002.png" })
        {
            var a = ImageIO.ReadPixels(Path.Combine(dir, "whole", name), PixelFormat.Gray8).Pixels;
            var b = ImageIO.ReadPixels(Path.Combine(dir, "tiled", name), PixelFormat.Gray8).Pixels;
            Assert.Equal(a.Length, b.Length);
            for (int i = 0; i < a.Length; i++)
            {
                Assert.InRange(Math.Abs(a[i] - b[i]), 0, 1);
                if (a[i] != b[i]) differing++;
            }
            values += a.Length;
        }
        Assert.True(differing * 1000 < values, $"{differing} of {values} values differ between the tiled and the whole-frame run");
    }

    [Theory]
    [InlineData("missing-input")]
    [InlineData("not-a-video")]
    [InlineData("wrong-checkpoint")]
    [InlineData("missing-output-folder")]
    [InlineData("no-cached-weights")]
    [InlineData("cuda")]
    [InlineData("same-path")]
    [InlineData("audio-only")]
    [InlineData("truncated")]
    [InlineData("zero-frames")]
    [InlineData("unwritable-output")]
    [InlineData("unwritable-output-folder")]
    [InlineData("image-output")]
    [InlineData("non-empty-output-folder")]
    [InlineData("bad-fps")]
    [InlineData("fps-for-a-video")]
    [InlineData("no-ffmpeg")]
    public void BadInputsGiveOneLineAndLeaveNothing(string kind)
    {
        var dir = TestPaths.NewTempDir();
        var output = Path.Combine(dir, "out.mp4");
        var denoiser = TestPaths.SharedData("weights/kair_dncnn_25.pth");
        var env = new Dictionary<string, string> { ["REEL_WEIGHTS"] = Path.Combine(dir, "empty-cache") };
        string input = kind switch
        {
            "missing-input" => Path.Combine(dir, "none.mp4"),
            "not-a-video" => Path.Combine(dir, "text.mp4"),
            "audio-only" => Path.Combine(dir, "audio.mp4"),
            "zero-frames" => Path.Combine(dir, "empty.mkv"),
            "bad-fps" => Path.Combine(dir, "frames"),
            _ => MakeClip(dir, audio: false),
        };
        switch (kind)
        {
            case "not-a-video": File.WriteAllText(input, "this is not a video"); break;
            case "audio-only":
                Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", "sine=duration=0.5", "-c:a", "aac", input }, ReadOnlyMemory<byte>.Empty, input);
                break;
            case "zero-frames":
                Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "0", "-c:v", "ffv1", input }, ReadOnlyMemory<byte>.Empty, input);
                break;
            case "truncated":
                var bytes = File.ReadAllBytes(input);
                File.WriteAllBytes(input, bytes[..(bytes.Length / 2)]);
                break;
            case "non-empty-output-folder":
                Directory.CreateDirectory(Path.Combine(dir, "frames"));
                File.WriteAllText(Path.Combine(dir, "frames", "keep.txt"), "mine");
                break;
            case "no-ffmpeg":
                // A PATH that finds dotnet and nothing else.
                var bin = Path.Combine(TestPaths.NewTempDir(), "bin");
                Directory.CreateDirectory(bin);
                var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "dotnet")).First(File.Exists);
                var dotnet = new FileInfo(onPath).ResolveLinkTarget(true)?.FullName ?? onPath;
                File.CreateSymbolicLink(Path.Combine(bin, "dotnet"), dotnet);
                env["PATH"] = bin;
                break;
            case "bad-fps":
                Directory.CreateDirectory(input);
                ImageIO.Write(Path.Combine(input, "a.png"), new Reel.Engine.Tensors.Tensor(new Reel.Engine.Tensors.Shape(1, 1, 8, 8)));
                break;
        }
        var args = kind switch
        {
            "wrong-checkpoint" => new[] { "restore", input, output, "--denoiser", denoiser, "--colorizer", denoiser },
            "missing-output-folder" => new[] { "restore", input, Path.Combine(dir, "no", "out.mp4"), "--denoiser", denoiser, "--no-colorize", "--no-stabilize" },
            "no-cached-weights" => new[] { "restore", input, output },
            "cuda" => new[] { "restore", input, output, "--device", "cuda" },
            "same-path" => new[] { "restore", input, input, "--denoiser", denoiser, "--no-colorize" },
            "unwritable-output" => new[] { "restore", input, "/proc/reel-test-out.mp4", "--no-denoise", "--no-colorize", "--no-stabilize" },
            "unwritable-output-folder" => new[] { "restore", input, "/proc/reel-test-frames", "--no-denoise", "--no-colorize", "--no-stabilize" },
            "image-output" => new[] { "restore", input, Path.Combine(dir, "out.png"), "--no-denoise", "--no-colorize", "--no-stabilize" },
            "non-empty-output-folder" => new[] { "restore", input, Path.Combine(dir, "frames"), "--no-denoise", "--no-colorize", "--no-stabilize" },
            "bad-fps" => new[] { "restore", input, output, "--no-denoise", "--no-colorize", "--no-stabilize", "--fps", "0" },
            "fps-for-a-video" => new[] { "restore", input, output, "--no-denoise", "--no-colorize", "--no-stabilize", "--fps", "24" },
            _ => new[] { "restore", input, output, "--denoiser", denoiser, "--no-colorize", "--no-stabilize" },
        };
        var before = Directory.GetFileSystemEntries(dir).Order().ToList();
        var r = ReelProcess.RunWithEnvironment(env, args);
        Assert.NotEqual(0, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("device:")).ToList();
        Assert.True(lines.Count == 1 && lines[0].StartsWith("reel: error: "), $"{kind}: expected one error line, got:\n{r.Stderr}");
        Assert.Equal(before, Directory.GetFileSystemEntries(dir).Order().ToList());
        switch (kind)
        {
            case "wrong-checkpoint": Assert.Contains("missing tensor 'model1.0.weight'", lines[0]); break;
            case "no-cached-weights": Assert.Contains("reel weights fetch dncnn_gray_blind", lines[0]); break;
            case "not-a-video": Assert.Contains(input, lines[0]); break;
            case "no-ffmpeg": Assert.Contains("apt-get install ffmpeg", lines[0]); break;
            case "fps-for-a-video": Assert.Contains("is a video and keeps its own (24 is not applied)", lines[0]); break;
            // .NET's own words named the hidden work folder alone ("Could not find file '/proc/.reel-test-frames.reel-work'").
            case "unwritable-output-folder": Assert.Contains("cannot make the work folder /proc/.reel-test-frames.reel-work (", lines[0]); break;
        }
    }

    [Fact]
    public void WeightsVerifyChecksTheManifestHash()
    {
        var cache = TestPaths.NewTempDir();
        var env = new Dictionary<string, string> { ["REEL_WEIGHTS"] = cache };
        File.Copy(TestPaths.SharedData("weights/kair_dncnn_25.pth"), Path.Combine(cache, "dncnn_25.pth"));
        var ok = ReelProcess.RunWithEnvironment(env, "weights", "verify", "dncnn_25");
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        Assert.Contains("dncnn_25: ok — sha256 ok", ok.Stdout);

        var bytes = File.ReadAllBytes(Path.Combine(cache, "dncnn_25.pth"));
        bytes[^10] ^= 0xff;
        File.WriteAllBytes(Path.Combine(cache, "dncnn_25.pth"), bytes);
        var bad = ReelProcess.RunWithEnvironment(env, "weights", "verify", "dncnn_25");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("FAILED", bad.Stdout);

        var list = ReelProcess.RunWithEnvironment(env, "weights", "list");
        Assert.Contains("colorization_release_v2-9b330a0b.pth", list.Stdout);
    }

    /// <summary>
    /// A film restored gray comes out gray whatever the prior's epochs: trained for one, the prior's three channels
    /// drifted apart into a tint 40 levels off gray in U (it learned only the default 50 epochs' worth of equal channels).
    /// </summary>
    [Fact]
    public void AGrayRestoreStaysGrayHoweverBrieflyThePriorTrains()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, size: "64x48", audio: false);
        var output = Path.Combine(dir, "out.mp4");
        var r = ReelProcess.Run("restore", input, output, "--no-denoise", "--no-colorize", "--epochs", "1", "--no-irt", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var rgb = Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-i", output, "-f", "rawvideo", "-pix_fmt", "rgb24", "-" }, ReadOnlyMemory<byte>.Empty, output);
        Assert.NotEmpty(rgb);
        int worst = 0;
        for (int i = 0; i < rgb.Length; i += 3) worst = Math.Max(worst, Math.Max(Math.Abs(rgb[i] - rgb[i + 1]), Math.Abs(rgb[i + 1] - rgb[i + 2])));
        Assert.True(worst <= 1, $"a pixel {worst} levels from gray");
    }

    /// <summary>
    /// `weights fetch all` tries every checkpoint although one cannot be fetched: it stopped at the first failure,
    /// leaving the rest uncached. The downloads fail here through a proxy nobody listens on.
    /// </summary>
    [Fact]
    public void FetchAllTriesEveryCheckpointAndNamesTheOnesItCouldNotFetch()
    {
        var cache = TestPaths.NewTempDir();
        File.Copy(TestPaths.SharedData("weights/kair_dncnn_25.pth"), Path.Combine(cache, "dncnn_25.pth"));
        const string nobody = "http://127.0.0.1:9";
        var env = new Dictionary<string, string>
        {
            ["REEL_WEIGHTS"] = cache, ["https_proxy"] = nobody, ["HTTPS_PROXY"] = nobody, ["all_proxy"] = nobody, ["no_proxy"] = "", ["NO_PROXY"] = "",
        };
        var r = ReelProcess.RunWithEnvironment(env, "weights", "fetch", "all");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("dncnn_25: already cached", r.Stderr);
        foreach (var name in new[] { "dncnn_gray_blind", "dncnn_color_blind", "colorizer" })
            Assert.Contains($"{name}: cannot download", r.Stderr);
        Assert.EndsWith("reel: error: 3 of 4 checkpoints not fetched: dncnn_gray_blind, dncnn_color_blind, colorizer", r.Stderr.TrimEnd());
        Assert.Equal(new[] { "dncnn_25.pth" }, Directory.GetFiles(cache).Select(Path.GetFileName));
    }

    /// <summary>A HOME not made yet (a fresh service account) still holds the cache: it became .cache/reel/weights in the working folder.</summary>
    [Fact]
    public void TheCacheIsUnderAHomeThatDoesNotExistYet()
    {
        var home = Path.Combine(TestPaths.NewTempDir(), "not-yet");
        var list = ReelProcess.RunWithEnvironment(new Dictionary<string, string> { ["HOME"] = home, ["REEL_WEIGHTS"] = "", ["XDG_CACHE_HOME"] = "" }, "weights", "list");
        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.Contains($"{home}/.cache/reel/weights/dncnn_25.pth", list.Stdout);
    }

    /// <summary>
    /// restore's default denoiser has no published hash: a DnCNN checkpoint in its place is loaded and passes, its
    /// first 1000 bytes (a cut download) fail by name (they were "ok"), and an empty cache says so.
    /// </summary>
    [Fact]
    public void WeightsVerifyLoadsACheckpointWithoutAPublishedHash()
    {
        var cache = TestPaths.NewTempDir();
        var env = new Dictionary<string, string> { ["REEL_WEIGHTS"] = cache };
        var empty = ReelProcess.RunWithEnvironment(env, "weights", "verify");
        Assert.True(empty.ExitCode == 0, empty.Stderr);
        Assert.Contains($"no checkpoint is cached in {cache}", empty.Stdout);

        var path = Path.Combine(cache, "dncnn_gray_blind.pth");
        File.Copy(TestPaths.SharedData("weights/kair_dncnn_25.pth"), path);
        var ok = ReelProcess.RunWithEnvironment(env, "weights", "verify", "dncnn_gray_blind");
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        Assert.Contains("dncnn_gray_blind: ok — no published hash; sha256", ok.Stdout);
        Assert.Contains("loads as a DnCNN", ok.Stdout);

        File.WriteAllBytes(path, File.ReadAllBytes(path)[..1000]);
        var cut = ReelProcess.RunWithEnvironment(env, "weights", "verify", "dncnn_gray_blind");
        Assert.Equal(1, cut.ExitCode);
        Assert.Contains("dncnn_gray_blind: FAILED — no published hash", cut.Stdout);
        Assert.Contains("does not load:", cut.Stdout);
    }
}
