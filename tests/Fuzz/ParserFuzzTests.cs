using System.IO.Compression;
using Reel.Engine;
using Reel.Engine.Checkpoints;
using Reel.Engine.Tensors;
using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Fuzz;

/// <summary>
/// A deterministic mutation fuzzer for every parser of outside bytes: bit flips, truncations,
/// length fields set to huge values, inserted and deleted bytes, shuffled zip entries. The only
/// outcomes allowed are a successful parse or our typed format error (<see cref="ReelException"/>).
/// </summary>
public class ParserFuzzTests
{
    private const int CasesPerSeed = 4000;
    private static readonly int[] HugeValues = { -1, int.MaxValue, int.MinValue, 0x7FFFFFF0, 1 << 30, 0 };

    public static IEnumerable<object[]> Seeds() => new[]
    {
        new object[] { "pth-zip" }, new object[] { "pth-legacy" }, new object[] { "safetensors" }, new object[] { "npy" }, new object[] { "zip-shuffled" },
    };

    [Theory]
    [MemberData(nameof(Seeds))]
    public void MutatedFilesParseOrFailWithATypedError(string kind)
    {
        var dir = TestPaths.NewTempDir();
        var (seed, parse) = SeedFor(kind, dir);
        var rng = new Random(kind.Sum(c => c)); // string.GetHashCode is randomized per process; this is not
        int parsed = 0, refused = 0;
        var path = Path.Combine(dir, "case" + Path.GetExtension(seed));
        var original = File.ReadAllBytes(seed);
        Assert.Null(Record.Exception(() => parse(seed)));
        for (int i = 0; i < CasesPerSeed; i++)
        {
            var mutated = kind == "zip-shuffled" ? ShuffleZip(original, rng) : Mutate(original, rng);
            File.WriteAllBytes(path, mutated);
            try
            {
                parse(path);
                parsed++;
            }
            catch (ReelException)
            {
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"{kind} case {i}: {e.GetType().Name}: {e.Message} (mutated file kept at {path})");
            }
        }
        Console.WriteLine($"fuzz {kind}: {CasesPerSeed} cases, {parsed} parsed, {refused} refused with a typed error");
        Assert.True(refused > 0, "no mutation was refused: the fuzzer is not reaching the parser");
    }

    /// <summary>
    /// Damaged videos through the ffprobe JSON reader and the raw-frame decoder: they decode or
    /// fail with a <see cref="MediaException"/> (fewer cases: each runs ffprobe and ffmpeg).
    /// </summary>
    [Fact]
    public void MutatedVideosDecodeOrFailWithATypedError()
    {
        const int cases = 60;
        var dir = TestPaths.NewTempDir();
        var seed = Path.Combine(dir, "seed.mp4");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=32x24:rate=5:duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p", seed },
            ReadOnlyMemory<byte>.Empty, seed);
        var original = File.ReadAllBytes(seed);
        var rng = new Random(11);
        int decoded = 0, refused = 0;
        var path = Path.Combine(dir, "case.mp4");
        for (int i = 0; i < cases; i++)
        {
            File.WriteAllBytes(path, Mutate(original, rng));
            try
            {
                var info = VideoFile.Probe(path);
                int frames = VideoFile.ReadFrames(path, info).Count();
                Assert.True(frames > 0);
                decoded++;
            }
            catch (ReelException)
            {
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"video case {i}: {e.GetType().Name}: {e.Message}");
            }
        }
        Console.WriteLine($"fuzz video: {cases} cases, {decoded} decoded, {refused} refused with a typed error");
        Assert.True(refused > 0);
    }

    [Fact]
    public void NonFiniteWeightsAreRefusedByName()
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "nan.safetensors");
        var w = TorchCheckpoint.Load(Golden.Dncnn.File("kair_gray17_zip.pth"));
        var bad = w.Get("model.4.weight").Clone();
        bad.Data[7] = float.NaN;
        Safetensors.Write(path, w.Names.Select(n => (n, n == "model.4.weight" ? bad : w.Get(n))));
        var e = Assert.Throws<CheckpointException>(() => Reel.Engine.Models.DnCnn.Load(path, Reel.Engine.Backends.Cpu.FastBackend.Instance));
        Assert.Contains("'model.4.weight' contains NaN", e.Message);
    }

    [Fact]
    public void NonFiniteActivationsNameTheLayer()
    {
        var model = Reel.Engine.Models.DnCnn.Load(Golden.Dncnn.File("kair_gray17_zip.pth"), Reel.Engine.Backends.Cpu.FastBackend.Instance);
        var x = new Tensor(new Shape(1, 1, 8, 8));
        x.Data[3] = float.PositiveInfinity;
        Assert.Contains("DnCNN input", Assert.Throws<ReelException>(() => model.Forward(x)).Message);
        x.Data[3] = 3e38f;
        var e = Assert.Throws<ReelException>(() => model.Forward(x));
        Assert.Contains("DnCNN layer", e.Message);
    }

    private static (string Path, Action<string> Parse) SeedFor(string kind, string dir)
    {
        switch (kind)
        {
            case "pth-zip":
            case "zip-shuffled":
                return (Golden.Dncnn.File("small_zip.pth"), p => TorchCheckpoint.Load(p));
            case "pth-legacy":
                return (Golden.Dncnn.File("small_legacy.pth"), p => TorchCheckpoint.Load(p));
            case "safetensors":
                var st = Path.Combine(dir, "seed.safetensors");
                Safetensors.Write(st, new[] { ("w", Filled(2, 3)), ("b", Filled(3)) }, new Dictionary<string, string> { ["k"] = "v" });
                return (st, p => Safetensors.Read(p));
            default:
                var npy = Path.Combine(dir, "seed.npy");
                Npy.Write(npy, Filled(2, 3, 4));
                return (npy, p => Npy.Read(p));
        }
    }

    private static byte[] Mutate(byte[] original, Random rng)
    {
        var b = (byte[])original.Clone();
        switch (rng.Next(5))
        {
            case 0:
                for (int k = rng.Next(1, 9); k > 0; k--) b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
                return b;
            case 1:
                return b[..rng.Next(b.Length)];
            case 2:
            {
                int at = rng.Next(Math.Max(1, b.Length - 8));
                BitConverter.GetBytes(HugeValues[rng.Next(HugeValues.Length)]).CopyTo(b, at);
                if (rng.Next(2) == 0 && at + 8 <= b.Length) BitConverter.GetBytes((long)HugeValues[rng.Next(HugeValues.Length)] << rng.Next(32)).CopyTo(b, at);
                return b;
            }
            case 3:
            {
                int at = rng.Next(b.Length), n = rng.Next(1, 16);
                var extra = new byte[n];
                rng.NextBytes(extra);
                return b[..at].Concat(extra).Concat(b[at..]).ToArray();
            }
            default:
            {
                int at = rng.Next(b.Length), n = Math.Min(rng.Next(1, 16), b.Length - at);
                return b[..at].Concat(b[(at + n)..]).ToArray();
            }
        }
    }

    /// <summary>Rebuilds the archive with its entries reordered, some renamed, dropped or duplicated.</summary>
    private static byte[] ShuffleZip(byte[] original, Random rng)
    {
        using var src = new ZipArchive(new MemoryStream(original), ZipArchiveMode.Read);
        var entries = src.Entries.Select(e =>
        {
            using var s = e.Open();
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            return (Name: e.FullName, Data: ms.ToArray());
        }).OrderBy(_ => rng.Next()).ToList();
        if (rng.Next(3) == 0) entries.RemoveAt(rng.Next(entries.Count));
        if (rng.Next(3) == 0) entries.Add(entries[rng.Next(entries.Count)]);
        if (rng.Next(3) == 0 && entries.Count > 0)
        {
            int i = rng.Next(entries.Count);
            entries[i] = (entries[i].Name + "x", entries[i].Data);
        }
        var output = new MemoryStream();
        using (var dst = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, data) in entries)
            {
                using var s = dst.CreateEntry(name, rng.Next(2) == 0 ? CompressionLevel.NoCompression : CompressionLevel.Fastest).Open();
                s.Write(data);
            }
        return output.ToArray();
    }

    private static Tensor Filled(params int[] dims)
    {
        var t = new Tensor(new Shape(dims));
        for (int i = 0; i < t.Length; i++) t.Data[i] = i * 0.5f - 1;
        return t;
    }
}
