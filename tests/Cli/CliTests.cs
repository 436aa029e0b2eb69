using System.Globalization;
using System.Text.Json;
using Reel.Engine.Checkpoints;
using Reel.Engine.Tensors;
using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>The `reel` executable as users and scripts drive it (DESIGN §6 contracts).</summary>
public class CliTests
{
    [Fact]
    public void DenoiseWritesAnImageOfTheSameSize()
    {
        var dir = TestPaths.NewTempDir();
        var output = Path.Combine(dir, "out.png");
        var r = ReelProcess.Run("denoise", TestPaths.SharedData("testsets/Set12/01.png"), output,
            "--weights", TestPaths.SharedData("weights/kair_dncnn_25.pth"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal((256, 256, "1:1"), ImageIO.Probe(output));
        Assert.Single(Directory.GetFiles(dir));
    }

    /// <summary>
    /// A subcommand of restore (which takes arguments itself) shows only its own arguments in its
    /// usage line and list, and a usage mistake there points at its own help.
    /// </summary>
    [Fact]
    public void RestoreSubcommandsShowTheirOwnUsage()
    {
        var help = ReelProcess.Run("restore", "plan", "--help");
        Assert.True(help.ExitCode == 0, help.Stderr);
        Assert.Contains("reel restore plan <input> <workdir> [options]", help.Stdout);
        Assert.DoesNotContain("<output>", help.Stdout);
        var join = ReelProcess.Run("restore", "join", "--help");
        Assert.Contains("reel restore join <workdir> <output> [options]", join.Stdout);
        Assert.DoesNotContain("Noisy black-and-white video", join.Stdout);
        Assert.Contains("reel restore <input> <output> [command] [options]", ReelProcess.Run("restore", "--help").Stdout);
        var wrong = ReelProcess.Run("restore", "plan");
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("(see 'reel restore plan --help')", wrong.Stderr);
    }

    /// <summary>`reel infer` for every model against the PyTorch golden of the same weights and input.</summary>
    [Theory]
    [InlineData("dncnn", "saoyan_b20_legacy.pth", "saoyan_b20_legacy_x.npy", "saoyan_b20_legacy_y.npy", 1e-4, null)]
    [InlineData("colorizer", "eccv16.pth", "eccv16_l.npy", "eccv16_t038.npy", 2e-3, "0.38")]
    [InlineData("unet", "dvp_init.pth", "dvp_input.npy", "dvp_out.npy", 1e-5, null)]
    public void InferMatchesPyTorch(string model, string weights, string input, string expected, double atol, string? temperature)
    {
        var golden = model switch { "dncnn" => Golden.Dncnn, "colorizer" => Golden.Colorizer, _ => Golden.Dvp };
        var output = Path.Combine(TestPaths.NewTempDir(), "y.npy");
        var args = new List<string> { "infer", "--model", model, "--weights", golden.File(weights), "--input", golden.File(input), "--output", output };
        if (temperature is not null) args.AddRange(new[] { "--temperature", temperature });
        var r = ReelProcess.Run(args.ToArray());
        Assert.True(r.ExitCode == 0, r.Stderr);
        Tolerance.AssertClose(Npy.Read(golden.File(expected)), Npy.Read(output), atol, 1e-4, $"reel infer {model}");
    }

    [Fact]
    public void EvalJsonLastLineIsTheContract()
    {
        var dataset = TestPaths.NewTempDir();
        File.Copy(TestPaths.SharedData("testsets/Set12/01.png"), Path.Combine(dataset, "01.png"));
        var r = ReelProcess.Run("eval", "denoise", "--weights", TestPaths.SharedData("weights/kair_dncnn_25.pth"),
            "--dataset", dataset, "--sigma", "25", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var last = r.Stdout.TrimEnd().Split('\n')[^1];
        using var doc = JsonDocument.Parse(last);
        Assert.Equal(1, doc.RootElement.GetProperty("images").GetInt32());
        Assert.InRange(doc.RootElement.GetProperty("mean_psnr").GetDouble(), 29.5, 31.0);
        Assert.InRange(doc.RootElement.GetProperty("mean_ssim").GetDouble(), 0.8, 0.95);
    }

    [Theory]
    [InlineData("testsets/Set12/01.png", 256, 256)]
    [InlineData("odd", 37, 23)]
    public void ColorizeTurnsAGrayImageIntoAColourImageKeepingItsLightness(string source, int w, int h)
    {
        var dir = TestPaths.NewTempDir();
        string input;
        if (source == "odd")
        {
            input = Path.Combine(dir, "odd.png");
            var t = new Reel.Engine.Tensors.Tensor(new(1, 1, h, w));
            for (int i = 0; i < t.Length; i++) t.Data[i] = (i * 37 % 101) / 100f;
            ImageIO.Write(input, t);
        }
        else input = TestPaths.SharedData(source);
        var output = Path.Combine(dir, "colour.png");
        var r = ReelProcess.Run("colorize", input, output, "--weights", Golden.Colorizer.File("eccv16.pth"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal((w, h, "1:1"), ImageIO.Probe(output));

        var gray = ImageIO.Read(input, PixelFormat.Rgb24);
        var colour = ImageIO.Read(output, PixelFormat.Rgb24);
        int plane = w * h, coloured = 0;
        for (int i = 0; i < plane; i++)
            if (Math.Abs(colour.Data[i] - colour.Data[plane + i]) > 2 / 255f || Math.Abs(colour.Data[plane + i] - colour.Data[2 * plane + i]) > 2 / 255f)
                coloured++;
        Assert.True(coloured > plane / 2, $"only {coloured} of {plane} pixels have colour");
        var lIn = Reel.Engine.Color.Lab.FromRgb(gray);
        var lOut = Reel.Engine.Color.Lab.FromRgb(colour);
        double meanDiff = 0;
        for (int i = 0; i < plane; i++) meanDiff += Math.Abs(lIn.Data[i] - lOut.Data[i]);
        Assert.True(meanDiff / plane < 1.0, $"L moved by {meanDiff / plane:F2} on average");
    }

    [Fact]
    public void StabilizeWritesEveryFrameAndReportsFlicker()
    {
        var dir = TestPaths.NewTempDir();
        string inDir = Path.Combine(dir, "in"), procDir = Path.Combine(dir, "proc"), outDir = Path.Combine(dir, "out");
        Directory.CreateDirectory(inDir);
        Directory.CreateDirectory(procDir);
        for (int t = 0; t < 3; t++)
        {
            var frame = new Reel.Engine.Tensors.Tensor(new(1, 1, 20, 30));
            for (int i = 0; i < frame.Length; i++) frame.Data[i] = (i % 30 + t) / 40f;
            ImageIO.Write(Path.Combine(inDir, $"f{t}.png"), frame);
            for (int i = 0; i < frame.Length; i++) frame.Data[i] = Math.Min(1, frame.Data[i] + 0.1f * (t % 2));
            ImageIO.Write(Path.Combine(procDir, $"f{t}.png"), frame);
        }
        string lossLog = Path.Combine(dir, "loss.csv");
        var r = ReelProcess.Run("stabilize", "--input", inDir, "--processed", procDir, "--output", outDir, "--epochs", "6", "--width", "4", "--progress", "json", "--loss-log", lossLog);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(new[] { "f0.png", "f1.png", "f2.png" }, Directory.GetFiles(outDir).Select(Path.GetFileName).Order());
        Assert.Equal((30, 20, "1:1"), ImageIO.Probe(Path.Combine(outDir, "f1.png")));
        Assert.Contains("flicker", r.Stderr);
        var progress = r.Stderr.Split('\n').Where(l => l.StartsWith('{')).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        foreach (var stage in new[] { "stabilize", "encode" })
        {
            var last = progress.Last(e => e.GetProperty("stage").GetString() == stage);
            Assert.Equal((3L, 3L), (last.GetProperty("done").GetInt64(), last.GetProperty("total").GetInt64()));
            Assert.True(last.GetProperty("rate").GetDouble() > 0, last.ToString());
            // The shot the frames belong to, as restore's lines say it (stabilize's encode lines said null).
            Assert.Equal(1, last.GetProperty("shot").GetInt32());
        }
        Assert.Equal(("end", 0), (progress[^1].GetProperty("stage").GetString(), progress[^1].GetProperty("exit").GetInt32()));
        Assert.Equal(0, progress[^2].GetProperty("eta_s").GetDouble());
        // Every step's loss, in order: 6 epochs of 3 frames (the progress lines show only some), the first
        // 5 (IRT's initialization) on the first frame each time.
        var steps = File.ReadAllLines(lossLog);
        Assert.Equal("shot,epoch,frame,loss", steps[0]);
        var rows = steps.Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(18, rows.Length);
        Assert.Equal(Enumerable.Range(1, 6).SelectMany(e => Enumerable.Repeat(e, 3)), rows.Select(c => int.Parse(c[1], CultureInfo.InvariantCulture)));
        Assert.Equal(Enumerable.Repeat(1, 15).Concat(new[] { 1, 2, 3 }), rows.Select(c => int.Parse(c[2], CultureInfo.InvariantCulture)));
        Assert.All(rows, c => Assert.True(double.Parse(c[3], CultureInfo.InvariantCulture) is > 0 and < 10, string.Join(",", c)));
        Assert.Equal(4, Directory.GetFileSystemEntries(dir).Length);

        // A folder's frames into a video at its --fps (25 whatever the film's, before), by the prior and streamed.
        foreach (var temporal in new[] { "prior", "none" })
        {
            var timed = Path.Combine(dir, $"timed-{temporal}.mp4");
            string[] prior = temporal == "prior" ? ["--epochs", "6", "--width", "4"] : [];
            var at = ReelProcess.Run(["stabilize", "--input", inDir, "--processed", procDir, "--output", timed, .. prior, "--fps", "24000/1001", "--temporal", temporal, "--no-progress"]);
            Assert.True(at.ExitCode == 0, at.Stderr);
            Assert.Equal(new[] { "24000/1001" }, Media.Probe(timed, "-select_streams", "v:0", "-show_entries", "stream=avg_frame_rate"));
            File.Delete(timed);
        }

        var flowLog = ReelProcess.Run("stabilize", "--input", inDir, "--processed", procDir, "--output", Path.Combine(dir, "o4"), "--temporal", "flow", "--loss-log", lossLog);
        Assert.Equal(2, flowLog.ExitCode);
        Assert.Contains("--loss-log", flowLog.Stderr);

        // A log in a folder that is not there is named as the option's; a run that fails leaves no log behind, not even a
        // temporary one (FILE.part stayed, in plain sight).
        var nowhere = ReelProcess.Run("stabilize", "--input", inDir, "--processed", procDir, "--output", Path.Combine(dir, "o6"), "--loss-log", Path.Combine(dir, "no", "steps.csv"));
        Assert.Equal(1, nowhere.ExitCode);
        Assert.Equal($"reel: error: --loss-log: folder does not exist: {Path.Combine(dir, "no")}", nowhere.Stderr.Trim());
        var taken = Path.Combine(dir, "taken");
        Directory.CreateDirectory(taken);
        File.WriteAllText(Path.Combine(taken, "x.txt"), "");
        var failed = ReelProcess.Run("stabilize", "--input", inDir, "--processed", procDir, "--output", taken, "--epochs", "6", "--width", "4", "--loss-log", Path.Combine(dir, "failed.csv"));
        Assert.Equal(1, failed.ExitCode);
        Assert.DoesNotContain(Directory.GetFiles(dir), f => Path.GetFileName(f).Contains("failed", StringComparison.Ordinal));

        // Processed frames equal to the input have no flicker: the summary says so rather than dividing by it.
        var still = ReelProcess.Run("stabilize", "--input", inDir, "--processed", inDir, "--output", Path.Combine(dir, "o5"), "--epochs", "6", "--width", "4");
        Assert.True(still.ExitCode == 0, still.Stderr);
        Assert.Contains("the processed frames had none", still.Stderr);
        Assert.DoesNotContain("Infinity", still.Stderr);


        var again = ReelProcess.Run("stabilize", "--input", inDir, "--processed", procDir, "--output", outDir, "--epochs", "1");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("not empty", again.Stderr);

        var tooShort = ReelProcess.Run("stabilize", "--input", inDir, "--processed", procDir, "--output", Path.Combine(dir, "o2"), "--epochs", "5");
        Assert.Equal(2, tooShort.ExitCode);
        Assert.Contains("--no-irt", tooShort.Stderr);

        var badRate = ReelProcess.Run("stabilize", "--input", inDir, "--processed", procDir, "--output", Path.Combine(dir, "o3"), "--learning-rate", "0");
        Assert.Equal(2, badRate.ExitCode);
        Assert.Contains("--learning-rate must be a positive number, got 0", badRate.Stderr);
        Assert.False(Directory.Exists(Path.Combine(dir, "o3")));
    }

    [Fact]
    public void StabilizeReadsAndWritesVideosKeepingFramesSizeAndAudio()
    {
        var dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "in.mp4"), processed = Path.Combine(dir, "proc.mp4"), output = Path.Combine(dir, "out.mp4");
        Reel.Engine.Video.Ffmpeg.Run(Reel.Engine.Video.Ffmpeg.FfmpegPath, new[]
        {
            "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=0.6", "-f", "lavfi", "-i", "sine=frequency=440:duration=0.6",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", input,
        }, ReadOnlyMemory<byte>.Empty, input);
        Reel.Engine.Video.Ffmpeg.Run(Reel.Engine.Video.Ffmpeg.FfmpegPath, new[]
        {
            "-v", "error", "-i", input, "-vf", "eq=brightness=0.05", "-an", "-c:v", "libx264", "-pix_fmt", "yuv420p", processed,
        }, ReadOnlyMemory<byte>.Empty, processed);

        var r = ReelProcess.Run("stabilize", "--input", input, "--processed", processed, "--output", output, "--epochs", "1", "--width", "4", "--no-irt");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var info = Reel.Engine.Video.VideoFile.Probe(output);
        Assert.Equal((64, 48), (info.Width, info.Height));
        Assert.Equal(6, info.FrameCount);
        Assert.True(info.HasAudio, "the input's audio was not copied");
        Assert.Equal(3, Directory.GetFiles(dir).Length);

        // A folder that takes no file (a stand-in ffmpeg plays the full disk) fails before any training, as restore
        // does: it failed after the first shot had trained. A memory budget below 1 MiB is refused, as restore's is.
        var full = Path.Combine(dir, "full");
        Directory.CreateDirectory(full);
        r = ReelProcess.RunWithEnvironment(Media.FullDiskFfmpeg(),
            "stabilize", "--input", input, "--processed", processed, "--output", Path.Combine(full, "out.mp4"), "--epochs", "1", "--width", "4", "--no-irt", "--progress", "plain");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("No space left on device", r.Stderr);
        Assert.DoesNotContain("stabilize:", r.Stderr);
        r = ReelProcess.Run("stabilize", "--input", input, "--processed", processed, "--output", Path.Combine(dir, "o.mp4"), "--memory-mb", "-5");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--memory-mb must be ≥ 1, got -5", r.Stderr);
    }

    /// <summary>A new folder of <paramref name="count"/> gray PNG frames (PREFIX0.png, …), each its own ramp; its full path.</summary>
    private static string GrayFrames(string folder, int count, int width, int height, string prefix = "")
    {
        Directory.CreateDirectory(folder);
        for (int t = 0; t < count; t++)
        {
            var f = new Tensor(new Shape(1, 1, height, width));
            for (int i = 0; i < f.Length; i++) f.Data[i] = (i * 5 + 40 * t) % 97 / 97f;
            ImageIO.Write(Path.Combine(folder, $"{prefix}{t}.png"), f);
        }
        return Path.GetFullPath(folder);
    }

    /// <summary>
    /// A '%' in a folder's name is a name, not ffmpeg's image-sequence pattern: every frame of "scan%03d" was
    /// "No such file or directory" (ffmpeg looked for scan001), read and written alike.
    /// </summary>
    [Fact]
    public void FramesInAFolderWithAPercentInItsNameAreReadAndWritten()
    {
        var dir = TestPaths.NewTempDir();
        var scan = GrayFrames(Path.Combine(dir, "scan%03d"), 3, 32, 24, "f");
        var frames = Path.Combine(dir, "out%02d");
        var r = ReelProcess.Run("restore", scan, frames, "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(new[] { "f0.png", "f1.png", "f2.png" }, Directory.GetFiles(frames).Select(Path.GetFileName).Order());
        Assert.Equal(ImageIO.Read(Path.Combine(scan, "f1.png"), PixelFormat.Gray8).Data, ImageIO.Read(Path.Combine(frames, "f1.png"), PixelFormat.Gray8).Data);
        var video = Path.Combine(dir, "film%d.mp4");
        r = ReelProcess.Run("restore", scan, video, "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(3, Media.CountFrames(video));

        // Without a '%', an image is still read by its bytes: JPEGs saved as .png are decoded, as before.
        var misnamed = Directory.CreateDirectory(Path.Combine(dir, "misnamed")).FullName;
        for (int t = 0; t < 2; t++)
        {
            ImageIO.Write(Path.Combine(misnamed, $"f{t}.jpg"), ImageIO.Read(Path.Combine(scan, $"f{t}.png"), PixelFormat.Gray8));
            File.Move(Path.Combine(misnamed, $"f{t}.jpg"), Path.Combine(misnamed, $"f{t}.png"));
        }
        r = ReelProcess.Run("restore", misnamed, Path.Combine(dir, "misnamed.mp4"), "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(2, Media.CountFrames(Path.Combine(dir, "misnamed.mp4")));
    }

    /// <summary>denoise and colorize take a folder's rate as restore does (it was always 25), and refuse it for a video or an image.</summary>
    [Fact]
    public void DenoiseAndColorizeTakeAFoldersRate()
    {
        var dir = TestPaths.NewTempDir();
        var frames = GrayFrames(Path.Combine(dir, "scan"), 3, 16, 16);
        var denoised = Path.Combine(dir, "denoised.mp4");
        var r = ReelProcess.Run("denoise", frames, denoised, "--weights", TestPaths.SharedData("weights/kair_dncnn_25.pth"), "--fps", "24000/1001", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("24000/1001", VideoFile.Probe(denoised).FrameRate);
        var colorized = Path.Combine(dir, "colorized.mp4");
        r = ReelProcess.Run("colorize", frames, colorized, "--weights", Golden.Colorizer.File("eccv16.pth"), "--fps", "12", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("12/1", VideoFile.Probe(colorized).FrameRate);

        r = ReelProcess.Run("colorize", denoised, Path.Combine(dir, "again.mp4"), "--weights", Golden.Colorizer.File("eccv16.pth"), "--fps", "12");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("is a video and keeps its own (12 is not applied)", r.Stderr);
        r = ReelProcess.Run("denoise", Path.Combine(frames, "0.png"), Path.Combine(dir, "one.png"), "--weights", TestPaths.SharedData("weights/kair_dncnn_25.pth"), "--fps", "12");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("0.png is a single image", r.Stderr);
    }

    /// <summary>
    /// What a researcher's scripts hit: an image too small for SSIM and an empty batch were internal errors (exit 70); an
    /// output that is the input was written over; a colour image through a gray DnCNN came out gray without a word; an
    /// option only a video uses was dropped without one.
    /// </summary>
    [Fact]
    public void ImageCommandsRefuseWhatTheyCannotDoAndSayWhatTheyDrop()
    {
        var dir = TestPaths.NewTempDir();
        string weights = TestPaths.SharedData("weights/kair_dncnn_25.pth");
        var set = Directory.CreateDirectory(Path.Combine(dir, "set")).FullName;
        ImageIO.Write(Path.Combine(set, "a.png"), new Tensor(new Shape(1, 1, 16, 16)));
        ImageIO.Write(Path.Combine(set, "b.png"), new Tensor(new Shape(1, 1, 8, 40)));
        var r = ReelProcess.Run("eval", "denoise", "--weights", weights, "--dataset", set, "--sigma", "25", "--json");
        Assert.Equal(1, r.ExitCode);
        Assert.EndsWith($"b.png is 40×8: SSIM needs images of at least 11×11; leave it out of the dataset", r.Stderr.Trim());

        var empty = Path.Combine(dir, "empty.npy");
        Npy.Write(empty, new Tensor(new Shape(0, 1, 8, 8)));
        r = ReelProcess.Run("infer", "--model", "dncnn", "--weights", weights, "--input", empty, "--output", Path.Combine(dir, "y.npy"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("the tensor holds nothing (shape (0, 1, 8, 8))", r.Stderr);
        var x = Path.Combine(dir, "x.npy");
        Npy.Write(x, new Tensor(new Shape(1, 1, 8, 8)));
        var before = File.ReadAllBytes(x);
        r = ReelProcess.Run("infer", "--model", "dncnn", "--weights", weights, "--input", x, "--output", x);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(before, File.ReadAllBytes(x));

        var image = Path.Combine(set, "a.png");
        before = File.ReadAllBytes(image);
        r = ReelProcess.Run("denoise", image, image, "--weights", weights);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("is the input", r.Stderr);
        Assert.Equal(before, File.ReadAllBytes(image));
        r = ReelProcess.Run("denoise", image, Path.Combine(dir, "out.png"), "--weights", weights, "--resume");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"--resume is not used: {image} is a single image", r.Stderr);

        var colour = new Tensor(new Shape(1, 3, 16, 16));
        for (int i = 0; i < 256; i++) (colour.Data[i], colour.Data[256 + i], colour.Data[512 + i]) = (0.9f, 0.2f, 0.1f);
        ImageIO.Write(Path.Combine(dir, "red.png"), colour);
        r = ReelProcess.Run("denoise", Path.Combine(dir, "red.png"), Path.Combine(dir, "red-out.png"), "--weights", weights);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("red.png is in colour and this DnCNN is a gray one: the output is gray", r.Stderr);
        r = ReelProcess.Run("denoise", image, Path.Combine(dir, "gray-out.png"), "--weights", weights);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("is in colour", r.Stderr);
    }

    [Fact]
    public void ColorizeWithADnCnnCheckpointNamesTheMissingTensor()
    {
        var dir = TestPaths.NewTempDir();
        var r = ReelProcess.Run("colorize", TestPaths.SharedData("testsets/Set12/01.png"), Path.Combine(dir, "x.png"),
            "--weights", TestPaths.SharedData("weights/kair_dncnn_25.pth"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("missing tensor 'model1.0.weight'", r.Stderr);
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Theory]
    [InlineData("missing-weights")]
    [InlineData("wrong-checkpoint")]
    [InlineData("missing-input")]
    [InlineData("bad-output-folder")]
    public void UserErrorsAreOneLineAndLeaveNothing(string kind)
    {
        var dir = TestPaths.NewTempDir();
        var output = Path.Combine(dir, "out.png");
        var image = TestPaths.SharedData("testsets/Set12/01.png");
        var weights = TestPaths.SharedData("weights/kair_dncnn_25.pth");
        string[] args = kind switch
        {
            "missing-weights" => new[] { "denoise", image, output, "--weights", Path.Combine(dir, "nope.pth") },
            "wrong-checkpoint" => new[] { "denoise", image, output, "--weights", WrongCheckpoint(dir) },
            "missing-input" => new[] { "denoise", Path.Combine(dir, "nope.png"), output, "--weights", weights },
            _ => new[] { "denoise", image, Path.Combine(dir, "no", "such", "out.png"), "--weights", weights },
        };
        var r = ReelProcess.Run(args);
        Assert.NotEqual(0, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line, got:\n{r.Stderr}");
        Assert.StartsWith("reel: error: ", lines[0]);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.False(File.Exists(output));
        Assert.DoesNotContain(Directory.GetFiles(dir), f => f.Contains(".tmp"));
    }

    /// <summary>The CLI is the library's version (reel.h's), where it said the SDK's 1.0.0 beside a libreel.so of 0.3.0.</summary>
    [Fact]
    public void TheVersionIsTheHeaders()
    {
        var header = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "engine", "native", "include", "reel.h"));
        var version = System.Text.RegularExpressions.Regex.Match(header, "#define REEL_VERSION_STRING \"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(version);
        var r = ReelProcess.Run("--version");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.StartsWith(version + "+", r.Stdout.Trim());
    }

    [Fact]
    public void UsageMistakesAreOneLineWithExitCode2()
    {
        var r = ReelProcess.Run("denoise", "only-one-arg.png");
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("'--weights' is required", line);
    }

    /// <summary>
    /// Values the parser cannot take: a word for a number crashed with a stack trace (exit 134); an empty path
    /// was "internal error … please report it" (exit 70); a bad choice listed its choices a line each.
    /// </summary>
    [Theory]
    [InlineData("Cannot parse argument 'abc' for option '--temperature' as a number", "colorize", "a.png", "b.png", "-w", "x.pth", "-t", "abc")]
    [InlineData("Cannot parse argument 'abc' for option '--epochs' as a whole number", "restore", "a.mp4", "b.mp4", "--epochs", "abc")]
    [InlineData("Argument 'foo' not recognized. Must be one of: 'bar', 'plain', 'json'", "restore", "a.mp4", "b.mp4", "--progress", "foo")]
    [InlineData("<output> is empty; give a value", "restore", "a.mp4", "")]
    [InlineData("--loss-log is empty; give a value", "stabilize", "--input", "a", "--processed", "b", "--output", "c", "--loss-log", "")]
    // A file named in Latin-1 reaches .NET with U+FFFD for its bytes: it was "input not found", though it was there.
    [InlineData("<input> is not valid UTF-8 (a name in another encoding, such as Latin-1), which Reel cannot open; rename it", "restore", "lat\uFFFD.mp4", "b.mp4")]
    public void UnreadableValuesAreOneLineWithExitCode2(string message, params string[] args)
    {
        var r = ReelProcess.Run(args);
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"reel: error: {message} (see 'reel {args[0]} --help')", line);
    }

    private static string WrongCheckpoint(string dir)
    {
        var path = Path.Combine(dir, "colorizer.safetensors");
        Safetensors.Write(path, new[] { ("model1.0.weight", new Reel.Engine.Tensors.Tensor(new(64, 1, 3, 3))) });
        return path;
    }
}
