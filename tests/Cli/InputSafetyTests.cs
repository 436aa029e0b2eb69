using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>
/// The input is never overwritten, whatever path leads to it (issue 23, failure 3); odd output
/// paths work; frames too large for the memory budget or for .NET arrays are refused up front in
/// one line that gives the limit; and a run's peak memory stays within 1.5 × --memory-mb plus a
/// fixed overhead (failure 4).
/// </summary>
public class InputSafetyTests
{
    private static readonly string[] Plain = { "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress" };

    private static string OneErrorLine(ReelProcess.Result r)
    {
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("device:")).ToList();
        Assert.True(lines.Count == 1 && lines[0].StartsWith("reel: error: "), $"expected one error line, got:\n{r.Stderr}");
        return lines[0];
    }

    [Theory]
    [InlineData("symlinked-folder")]
    [InlineData("symlinked-input")]
    [InlineData("hard-link")]
    public void AnOutputThatIsTheInputIsRefusedHoweverItIsSpelled(string how)
    {
        var dir = TestPaths.NewTempDir();
        var clip = Media.MakeClip(dir, audio: false);
        var hash = SHA256.HashData(File.ReadAllBytes(clip));
        string input = clip, output;
        switch (how)
        {
            case "symlinked-folder":
                var link = Path.Combine(TestPaths.NewTempDir(), "link");
                File.CreateSymbolicLink(link, dir);
                output = Path.Combine(link, "in.mp4");
                break;
            case "symlinked-input":
                input = Path.Combine(dir, "alias.mp4");
                File.CreateSymbolicLink(input, clip);
                output = clip;
                break;
            default:
                output = Path.Combine(dir, "hard.mp4");
                using (var ln = Process.Start("ln", new[] { clip, output })!) ln.WaitForExit();
                break;
        }
        var before = Directory.GetFileSystemEntries(dir).Order().ToList();
        var r = ReelProcess.Run(new[] { "restore", input, output }.Concat(Plain).ToArray());
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("is the input", OneErrorLine(r));
        Assert.Equal(hash, SHA256.HashData(File.ReadAllBytes(clip)));
        Assert.Equal(before, Directory.GetFileSystemEntries(dir).Order().ToList());
    }

    [Fact]
    public void ANewlineInTheOutputPathIsJustACharacter()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, audio: false);
        var output = Path.Combine(dir, "it's\nrestored.mp4");
        var r = ReelProcess.Run(new[] { "restore", input, output, "--max-shot-frames", "2" }.Concat(Plain).ToArray());
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(6, Media.CountFrames(output));
    }

    /// <summary>
    /// ffmpeg reads a relative name with a colon before any slash as a protocol: a camera's time-stamped name failed with
    /// "Protocol not found", and "file:in.mp4" restored ./in.mp4, another film, without a word. A folder's too.
    /// </summary>
    [Fact]
    public void ANameWithAColonIsTheFileOfThatName()
    {
        var dir = TestPaths.NewTempDir();
        Media.MakeClip(dir, "in.mp4", seconds: 0.3, audio: false);
        Media.MakeClip(dir, "file:in.mp4", audio: false);
        Media.MakeClip(dir, "2024-05-01T10:30:00.mp4", audio: false);
        foreach (var (input, output) in new[] { ("file:in.mp4", "out:1.mp4"), ("2024-05-01T10:30:00.mp4", "frames:1") })
        {
            var r = ReelProcess.RunIn(dir, new Dictionary<string, string>(), new[] { "restore", input, output, "--max-shot-frames", "2" }.Concat(Plain).ToArray());
            Assert.True(r.ExitCode == 0, $"{input}: {r.Stderr}");
        }
        Assert.Equal(6, Media.CountFrames(Path.Combine(dir, "out:1.mp4")));
        Assert.Equal(6, Directory.GetFiles(Path.Combine(dir, "frames:1")).Length);
        var again = ReelProcess.RunIn(dir, new Dictionary<string, string>(), new[] { "restore", "frames:1", "out:2.mp4" }.Concat(Plain).ToArray());
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(6, Media.CountFrames(Path.Combine(dir, "out:2.mp4")));
    }

    [Theory]
    [InlineData(16000, 16000, "--max-shot-frames 2", "more than the 2,147,483,591 an array can")]
    [InlineData(16000, 16000, "--no-stabilize", "of working memory (most for the frames queued")]
    [InlineData(4096, 4096, "--memory-mb 4096", "more than the 4096 MiB of --memory-mb")]
    public void FramesThatCannotFitAreRefusedUpFront(int width, int height, string extra, string limit)
    {
        var dir = TestPaths.NewTempDir();
        var frames = Path.Combine(dir, "frames");
        Directory.CreateDirectory(frames);
        WriteBlackPng(Path.Combine(frames, "000.png"), width, height);
        var args = new List<string> { "restore", frames, Path.Combine(dir, "out.mp4"), "--denoiser", TestPaths.SharedData("weights/kair_dncnn_25.pth"),
            "--no-colorize", "--no-progress" };
        // DnCNN goes in tiles under any budget, so the array limit is met by the prior's first decoder input at full size.
        args.AddRange(extra.Split(' '));
        // As the report had it: a 4 GiB container (this also keeps the machine safe should the refusal not come).
        var env = new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x100000000" };
        var clock = Stopwatch.StartNew();
        var r = ReelProcess.RunWithEnvironment(env, args.ToArray());
        Assert.Equal(1, r.ExitCode);
        var line = OneErrorLine(r);
        Assert.Contains($"{width}×{height} frames", line);
        Assert.Contains(limit, line);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"refused only after {clock.Elapsed.TotalSeconds:F0} s");
        Assert.Equal(new[] { "frames" }, Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
    }

    /// <summary>
    /// The overhead --memory-mb does not cover for DnCNN + the prior (width 32): the runtime, the
    /// weights, the prior's weights and Adam state and the collector's slack. Measured on this code
    /// (2-core AVX2 machine): 468 and 469 MB peak RSS with a 48 MiB budget, so 396 MB over 1.5 × 48;
    /// the bound allows 450 (the code before issue 23 peaked at 596 and 1075 MB with the same budget).
    /// </summary>
    private const double FixedOverheadMb = 450;

    [Fact]
    public void PeakMemoryStaysWithinTheBudgetAndItsFixedOverhead()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, size: "96x64", seconds: 1.2, audio: false);
        string[] Args(int mb) => new[] { "restore", input, Path.Combine(dir, $"out{mb}.mp4"), "--denoiser", TestPaths.SharedData("weights/kair_dncnn_25.pth"),
            "--no-colorize", "--epochs", "1", "--no-irt", "--max-shot-frames", "6", "--memory-mb", mb.ToString(CultureInfo.InvariantCulture), "--no-progress" };

        // Below what one 96×64 frame needs: refused before any work, with the least that would do.
        var refused = ReelProcess.Run(Args(16));
        Assert.Equal(1, refused.ExitCode);
        Assert.Matches(@"96×64 frames need about \d+ MiB of working memory .*more than the 16 MiB of --memory-mb; raise it to at least \d+", OneErrorLine(refused));

        const int budgetMb = 48;
        var (code, stderr, peakMb) = MeasurePeak(Args(budgetMb));
        Assert.True(code == 0, stderr);
        Console.WriteLine($"peak RSS {peakMb:F0} MB with --memory-mb {budgetMb}: bound {1.5 * budgetMb + FixedOverheadMb:F0} MB");
        Assert.True(peakMb <= 1.5 * budgetMb + FixedOverheadMb, $"peak RSS {peakMb:F0} MB > 1.5 × {budgetMb} + {FixedOverheadMb} MB");
        Assert.Equal(12, Media.CountFrames(Path.Combine(dir, $"out{budgetMb}.mp4")));
    }

    /// <summary>Runs reel under a Python parent that reports its children's peak RSS (getrusage), which a poll would miss.</summary>
    private static (int Code, string Stderr, double PeakMb) MeasurePeak(string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "reel.dll");
        var psi = new ProcessStartInfo(Golden.Python()) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TestPaths.RepoRoot };
        foreach (var a in new[]
                 {
                     "-c", "import resource, subprocess, sys; c = subprocess.call(sys.argv[1:]); " +
                           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(c)",
                     "dotnet", dll,
                 }.Concat(args))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stderr.Result, long.Parse(stdout.Trim().Split('\n')[^1], CultureInfo.InvariantCulture) / 1024.0);
    }

    /// <summary>A black 8-bit gray PNG of any size, written directly (ffmpeg takes seconds to make a 16000² one).</summary>
    private static void WriteBlackPng(string path, int width, int height)
    {
        using var file = File.Create(path);
        file.Write(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A });
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth; colour type 0 (gray), default compression, filter and no interlace
        Chunk(file, "IHDR", header);
        var pixels = new MemoryStream();
        using (var z = new ZLibStream(pixels, CompressionLevel.Fastest, leaveOpen: true))
        {
            var row = new byte[width + 1]; // filter byte 0, then the row
            for (int y = 0; y < height; y++) z.Write(row);
        }
        Chunk(file, "IDAT", pixels.ToArray());
        Chunk(file, "IEND", Array.Empty<byte>());
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        s.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        s.Write(word);
    }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320 & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }
}
