using Reel.Engine.Tensors;
using Reel.Engine.Video;
using Reel.Tests.Support;
using Reel.Tests.Temporal;

namespace Reel.Tests.Cli;

/// <summary>`--temporal flow` through the CLI: stabilize on folders and videos, restore with colour fusion, and what it refuses.</summary>
public class TemporalFlowCliTests
{
    [Fact]
    public void StabilizeWithFlowStreamsAFolderAndLowersTheFlicker()
    {
        var dir = TestPaths.NewTempDir();
        string inDir = Path.Combine(dir, "in"), procDir = Path.Combine(dir, "proc"), outDir = Path.Combine(dir, "out");
        Directory.CreateDirectory(inDir);
        Directory.CreateDirectory(procDir);
        var rng = new Random(8);
        for (int t = 0; t < 6; t++)
        {
            var truth = FlowTemporalTests.Truth(t, 72, 40);
            ImageIO.Write(Path.Combine(inDir, $"f{t}.png"), FlowTemporalTests.Gray(truth));
            ImageIO.Write(Path.Combine(procDir, $"f{t}.png"), FlowTemporalTests.Unimodal(truth, t, rng));
        }
        var r = ReelProcess.Run("stabilize", "--input", inDir, "--processed", procDir, "--output", outDir, "--temporal", "flow");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(Enumerable.Range(0, 6).Select(t => $"f{t}.png"), Directory.GetFiles(outDir).Select(Path.GetFileName).Order());
        Assert.Contains("flow stage:", r.Stderr);
        var line = r.Stderr.Split('\n').Single(l => l.StartsWith("flicker"));
        var ratio = double.Parse(line.Split(", ")[1].Split('×')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(ratio < 0.8, line);
    }

    [Fact]
    public void StabilizeWithFlowReadsAndWritesVideosKeepingAudio()
    {
        var dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "in.mp4"), processed = Path.Combine(dir, "proc.mp4"), output = Path.Combine(dir, "out.mp4");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[]
        {
            "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=0.8", "-f", "lavfi", "-i", "sine=frequency=440:duration=0.8",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", input,
        }, ReadOnlyMemory<byte>.Empty, input);
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[]
        {
            "-v", "error", "-i", input, "-vf", "eq=brightness='0.06*sin(9*t)'", "-an", "-c:v", "libx264", "-pix_fmt", "yuv420p", processed,
        }, ReadOnlyMemory<byte>.Empty, processed);
        var r = ReelProcess.Run("stabilize", "--input", input, "--processed", processed, "--output", output, "--temporal", "flow", "--mode", "chroma");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var info = VideoFile.Probe(output);
        Assert.Equal((64, 48, 8), (info.Width, info.Height, info.FrameCount));
        Assert.True(info.HasAudio, "the input's audio was not copied");
    }

    /// <summary>stabilize padded a folder of odd-sized frames for its video without a word, where restore says so.</summary>
    [Fact]
    public void StabilizeSaysWhereItPadsOddFrames()
    {
        var dir = TestPaths.NewTempDir();
        string inDir = Path.Combine(dir, "in"), output = Path.Combine(dir, "out.mp4");
        Directory.CreateDirectory(inDir);
        for (int t = 0; t < 3; t++)
        {
            var f = new Tensor(new Shape(1, 1, 33, 35));
            for (int i = 0; i < f.Length; i++) f.Data[i] = (i * 7 + t) % 50 / 50f;
            ImageIO.Write(Path.Combine(inDir, $"{t}.png"), f);
        }
        var r = ReelProcess.Run("stabilize", "--input", inDir, "--processed", inDir, "--output", output, "--temporal", "none", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("note: 35×33 is odd; the video is padded to 36×34, a black column on the right and a black row at the bottom", r.Stderr);
        Assert.Equal("36,34", Media.Probe(output, "-show_entries", "stream=width,height").Single());
    }

    [Fact]
    public void RestoreWithFlowAndFusedColoursGivesEveryFrameInColour()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, seconds: 0.8);
        var output = Path.Combine(dir, "out.mp4");
        var r = ReelProcess.Run("restore", input, output, "--denoiser", TestPaths.SharedData("weights/kair_dncnn_25.pth"),
            "--colorizer", Golden.Colorizer.File("eccv16.pth"), "--temporal", "flow", "--fuse-colors", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var (inInfo, outInfo) = (VideoFile.Probe(input), VideoFile.Probe(output));
        Assert.Equal((inInfo.Width, inInfo.Height, inInfo.FrameCount), (outInfo.Width, outInfo.Height, outInfo.FrameCount));
        Assert.True(outInfo.HasAudio, "audio was not kept");
        foreach (var frame in VideoFile.ReadFrames(output, outInfo))
        {
            int coloured = 0;
            for (int i = 0; i < frame.Pixels.Length; i += 3)
                if (Math.Abs(frame.Pixels[i] - frame.Pixels[i + 1]) > 4 || Math.Abs(frame.Pixels[i + 1] - frame.Pixels[i + 2]) > 4) coloured++;
            Assert.True(coloured > frame.Pixels.Length / 6, $"only {coloured} coloured pixels");
        }
    }

    [Theory]
    [InlineData("fuse-without-flow")]
    [InlineData("fuse-without-colour")]
    [InlineData("no-stabilize-with-prior")]
    [InlineData("bad-blend")]
    [InlineData("tiny-frames")]
    [InlineData("uneven-folders")]
    public void BadTemporalSettingsGiveOneLine(string kind)
    {
        var dir = TestPaths.NewTempDir();
        string inDir = Path.Combine(dir, "in"), procDir = Path.Combine(dir, "proc");
        Directory.CreateDirectory(inDir);
        Directory.CreateDirectory(procDir);
        int size = kind == "tiny-frames" ? 12 : 32;
        for (int t = 0; t < 2; t++)
        {
            var f = new Tensor(new Shape(1, 1, size, size));
            for (int i = 0; i < f.Length; i++) f.Data[i] = (i * 7 + t) % 50 / 50f;
            ImageIO.Write(Path.Combine(inDir, $"{t}.png"), f);
            if (kind != "uneven-folders" || t == 0) ImageIO.Write(Path.Combine(procDir, $"{t}.png"), f);
        }
        var args = kind switch
        {
            "fuse-without-flow" => new[] { "restore", inDir, Path.Combine(dir, "out"), "--no-denoise", "--no-colorize", "--fuse-colors" },
            // Contradictions, which were accepted with one side silently ignored.
            "fuse-without-colour" => new[] { "restore", inDir, Path.Combine(dir, "out"), "--no-denoise", "--no-colorize", "--temporal", "flow", "--fuse-colors" },
            "no-stabilize-with-prior" => new[] { "restore", inDir, Path.Combine(dir, "out"), "--no-denoise", "--no-colorize", "--no-stabilize", "--temporal", "prior" },
            "bad-blend" => new[] { "stabilize", "--input", inDir, "--processed", procDir, "--output", Path.Combine(dir, "out"), "--temporal", "flow", "--flow-blend", "2" },
            _ => new[] { "stabilize", "--input", inDir, "--processed", procDir, "--output", Path.Combine(dir, "out"), "--temporal", "flow" },
        };
        var r = ReelProcess.Run(args);
        // Options that cannot go together exit 2, as a command line that does not parse; frames too small for the flow are the input's fault.
        Assert.Equal(kind is "tiny-frames" or "uneven-folders" ? 1 : 2, r.ExitCode);
        Assert.StartsWith("reel: error:", r.Stderr.Trim().Split('\n')[^1]);
        if (kind == "fuse-without-colour") Assert.Contains("--no-colorize leaves none", r.Stderr);
        // Refused before a frame is streamed, not when the shorter folder runs out (a film's worth of flow later).
        if (kind == "uneven-folders") Assert.Equal("reel: error: --input has 2 frames but --processed has 1; input and processed frames must pair one to one", r.Stderr.Trim());
        if (kind == "no-stabilize-with-prior") Assert.Contains("--no-stabilize turns the temporal stage off, and --temporal prior asks for it", r.Stderr);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")), "a failed run left its output");
    }

    /// <summary>A missing path is named by the option that gave it: every one was "input not found", --output and --processed too.</summary>
    [Theory]
    [InlineData("eval", "--output")]
    [InlineData("eval", "--processed")]
    [InlineData("prior", "--processed")]
    [InlineData("prior", "--input")]
    [InlineData("flow", "--processed")]
    public void AMissingPathIsNamedByItsOption(string command, string missing)
    {
        var dir = TestPaths.NewTempDir();
        var clip = Media.MakeClip(dir, audio: false);
        string nope = Path.Combine(dir, "nope.mp4");
        string Given(string option) => option == missing ? nope : clip;
        var args = command == "eval"
            ? new[] { "eval", "temporal", "--input", clip, "--output", Given("--output"), "--processed", Given("--processed") }
            : new[] { "stabilize", "--input", Given("--input"), "--processed", Given("--processed"), "--output", Path.Combine(dir, "out.mp4"), "--temporal", command };
        var r = ReelProcess.Run(args);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"reel: error: {missing} not found: {nope}", r.Stderr.Trim().Split('\n')[^1]);
    }
}
