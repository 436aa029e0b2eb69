using Reel.Emulation;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Backends.Cuda;
using Reel.Engine.Checkpoints;
using Reel.Engine.Models;
using Reel.Engine.Tensors;
using Xunit.Abstractions;

namespace Reel.Tests.Cuda;

/// <summary>Tiling under a memory budget: the arithmetic, tiled = untiled exactly, and the device-resident DnCNN pipeline on the emulator.</summary>
public class TilingTests(ITestOutputHelper output)
{
    [Fact]
    public void TilesCoverTheFrameOnceWithHalosInsideIt()
    {
        foreach (var (h, w) in new[] { (1, 1), (7, 5), (97, 131), (2160, 3840), (1080, 1920), (33, 1000) })
        foreach (int halo in new[] { 0, 1, 17, 20 })
        foreach (long budget in new[] { 1L << 12, 1L << 16, 1L << 20, 1L << 30 })
        {
            const long bpp = 4 * (2 * 64 + 3);
            IReadOnlyList<Tile> tiles;
            try
            {
                tiles = TilePlanner.Plan(h, w, halo, bpp, budget);
            }
            catch (Reel.Engine.ReelException)
            {
                Assert.True((long)(2 * halo + 1) * (2 * halo + 1) * bpp > budget, $"{h}×{w} halo {halo} budget {budget}: refused though a 1-pixel tile fits");
                continue;
            }
            var covered = new byte[h * w];
            foreach (var t in tiles)
            {
                Assert.True(t.InY >= 0 && t.InX >= 0 && t.InY + t.InHeight <= h && t.InX + t.InWidth <= w, $"{t} leaves the frame");
                Assert.Equal(Math.Max(0, t.Y - halo), t.InY);
                Assert.Equal(Math.Min(h, t.Y + t.Height + halo), t.InY + t.InHeight);
                Assert.Equal(Math.Min(w, t.X + t.Width + halo), t.InX + t.InWidth);
                if (tiles.Count > 1) Assert.True((long)t.InHeight * t.InWidth * bpp <= budget, $"{t} exceeds the budget {budget}");
                for (int y = t.Y; y < t.Y + t.Height; y++)
                for (int x = t.X; x < t.X + t.Width; x++)
                    covered[y * w + x]++;
            }
            Assert.All(covered, c => Assert.Equal(1, c));
        }
    }

    [Fact]
    public void FourKFitsASmallCardInTiles()
    {
        var model = SmallDnCnn(layers: 17, width: 64, channels: 1, ReferenceBackend.Instance, seed: 1);
        const long fourGiB = 4L << 30, twoGiB = 2L << 30;
        long perWindow = DnCnnGpuPipeline.BytesPerWindowPixel(model), perFrame = DnCnnGpuPipeline.BytesPerFramePixel(model);
        var tiles = TilePlanner.Plan(2160, 3840, model.Depth, perWindow, twoGiB, perFrame * 2160 * 3840);
        Assert.True(tiles.Count > 1);
        Assert.All(tiles, t => Assert.True((long)t.InHeight * t.InWidth * perWindow + perFrame * 2160 * 3840 <= twoGiB));
        Assert.Single(TilePlanner.Plan(2160, 3840, model.Depth, perWindow, 80L << 30, perFrame * 2160 * 3840));
        output.WriteLine($"4K gray DnCNN-17: {perWindow} B per window pixel; {TilePlanner.Plan(2160, 3840, 17, perWindow, fourGiB, perFrame * 2160 * 3840).Count} tiles in 4 GiB, {tiles.Count} in 2 GiB");
    }

    /// <summary>DnCNN tiled with halo = depth equals the untiled run bit for bit (CPU reference backend).</summary>
    [Theory]
    [InlineData(1, 23, 37, 3)] [InlineData(3, 31, 19, 4)] [InlineData(1, 40, 40, 2)]
    public void TiledDnCnnEqualsUntiled(int channels, int h, int w, int layers)
    {
        var model = SmallDnCnn(layers, width: 8, channels, ReferenceBackend.Instance, seed: h);
        var rng = new Random(w);
        var x = new Tensor(new Shape(1, channels, h, w), EmulatedGpu.RandomFloats(rng, channels * h * w, 0, 1));
        var whole = model.Forward(x);
        long bpp = DnCnnGpuPipeline.BytesPerWindowPixel(model);
        foreach (int side in new[] { 2 * layers + 1, 2 * layers + 5, 2 * layers + 12 })
        {
            var tiles = TilePlanner.Plan(h, w, model.Depth, bpp, (long)side * side * bpp);
            Assert.True(tiles.Count > 1);
            var tiled = RunTiled(x, tiles, model.Forward);
            Assert.Equal(whole.Data, tiled.Data);
        }
        // A halo one pixel short of the receptive field is not exact: the check above has teeth.
        var shortTiles = TilePlanner.Plan(h, w, model.Depth - 1, bpp, (long)(2 * layers + 5) * (2 * layers + 5) * bpp);
        Assert.NotEqual(whole.Data, RunTiled(x, shortTiles, model.Forward).Data);
    }

    /// <summary>Runs <paramref name="net"/> tile by tile on the host and stitches the cores as DnCnnGpuPipeline does with device copies: the reference its tiling is held to.</summary>
    private static Tensor RunTiled(Tensor x, IReadOnlyList<Tile> tiles, Func<Tensor, Tensor> net)
    {
        var s = x.Shape;
        Tensor? y = null;
        foreach (var t in tiles)
        {
            var window = new Tensor(new Shape(s.N, s.C, t.InHeight, t.InWidth));
            for (int n = 0; n < s.N; n++)
            for (int c = 0; c < s.C; c++)
            for (int i = 0; i < t.InHeight; i++)
                Array.Copy(x.Data, ((n * s.C + c) * s.H + t.InY + i) * s.W + t.InX, window.Data, ((n * s.C + c) * t.InHeight + i) * t.InWidth, t.InWidth);
            var out_ = net(window);
            var o = out_.Shape;
            y ??= new Tensor(new Shape(o.N, o.C, s.H, s.W));
            for (int n = 0; n < o.N; n++)
            for (int c = 0; c < o.C; c++)
            for (int i = 0; i < t.Height; i++)
                Array.Copy(out_.Data, ((n * o.C + c) * o.H + t.CoreOffsetY + i) * o.W + t.CoreOffsetX, y.Data, ((n * o.C + c) * s.H + t.Y + i) * s.W + t.X, t.Width);
        }
        return y ?? throw new ArgumentException("no tiles");
    }

    /// <summary>
    /// The device-resident DnCNN pipeline (pack, tiles, graph per frame shape, two slots over
    /// two streams, unpack) on the emulator, with convolutions computed on the host in stream
    /// order, equals the CPU path (Forward, clamp, round to u8) on every frame, tiled or not.
    /// </summary>
    [Theory]
    [InlineData(1, 23, 37, 0L)] [InlineData(3, 17, 29, 0L)] [InlineData(1, 23, 37, 60_000L)] [InlineData(3, 17, 29, 60_000L)]
    public void GpuPipelineEqualsTheCpuPathFrameByFrame(int channels, int h, int w, long budget)
    {
        using var device = EmulatedGpu.OpenPrivate();
        var model = SmallDnCnn(layers: 4, width: 8, channels, ReferenceBackend.Instance, seed: channels);
        var convolutions = new HostConvolutions(device, ReferenceBackend.Instance);
        int liveBefore = device.LiveAllocations;
        using (var pipeline = new DnCnnGpuPipeline(device, convolutions, model, budget == 0 ? 1L << 30 : budget))
        {
            var tiles = pipeline.TilesFor(h, w);
            Assert.Equal(budget == 0, tiles.Count == 1);
            var rng = new Random(h * w);
            var frames = Enumerable.Range(0, 5).Select(_ =>
            {
                var f = new byte[h * w * channels];
                rng.NextBytes(f);
                return f;
            }).ToArray();
            var results = new byte[frames.Length][];
            int launchesBefore = device.Launches;
            pipeline.Run(frames, h, w, (i, bytes) => results[i] = bytes);
            Assert.Equal(2, pipeline.GraphsCaptured);
            Assert.Equal(tiles.Count * model.Depth, convolutions.Prepared);
            for (int i = 0; i < frames.Length; i++) Assert.Equal(CpuDenoise(model, frames[i], h, w), results[i]);
            pipeline.Run(frames.Take(2), h, w, (i, bytes) => Assert.Equal(results[i], bytes));
            Assert.Equal(2, pipeline.GraphsCaptured);
            output.WriteLine($"{channels}ch {h}×{w}: {tiles.Count} tiles, {device.Launches - launchesBefore} kernel launches replayed from graphs for 7 frames; bytes equal to the CPU path");
        }
        Assert.Equal(liveBefore, device.LiveAllocations);
    }

    private static byte[] CpuDenoise(DnCnn model, byte[] frame, int h, int w)
    {
        int c = model.Channels;
        var x = new Tensor(new Shape(1, c, h, w));
        for (int i = 0; i < h * w; i++)
        for (int ch = 0; ch < c; ch++)
            x.Data[ch * h * w + i] = frame[i * c + ch] / 255f;
        var y = model.Forward(x);
        var result = new byte[frame.Length];
        for (int i = 0; i < h * w; i++)
        for (int ch = 0; ch < c; ch++)
            result[i * c + ch] = (byte)Math.Round(Math.Clamp(y.Data[ch * h * w + i], 0f, 1f) * 255f, MidpointRounding.AwayFromZero);
        return result;
    }

    /// <summary>A KAIR-layout DnCNN with random weights.</summary>
    internal static DnCnn SmallDnCnn(int layers, int width, int channels, IBackend backend, int seed)
    {
        var rng = new Random(seed);
        var map = new WeightMap("random DnCNN");
        for (int k = 0; k < layers; k++)
        {
            int cin = k == 0 ? channels : width, cout = k == layers - 1 ? channels : width;
            float scale = 1f / MathF.Sqrt(cin * 9);
            map.Add($"model.{2 * k}.weight", new Tensor(new Shape(cout, cin, 3, 3), EmulatedGpu.RandomFloats(rng, cout * cin * 9, -scale, scale)));
            map.Add($"model.{2 * k}.bias", new Tensor(new Shape(cout), EmulatedGpu.RandomFloats(rng, cout, -0.1f, 0.1f)));
        }
        return DnCnn.FromWeights(map, backend);
    }
}
