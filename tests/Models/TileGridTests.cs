using Reel.Engine;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Models;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using Reel.Engine.Video;
using Reel.Tests.Support;
using Xunit.Abstractions;

namespace Reel.Tests.Models;

/// <summary>DnCNN in tiles: the windows' cores cover the frame once, each core far enough inside its window to be exact, and the tiled net gives the whole frame's result.</summary>
public class TileGridTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(150, 190, 17, 80 * 80)]
    [InlineData(1080, 1920, 20, 1_000_000)]
    [InlineData(2160, 3840, 17, 2_000_000)]
    [InlineData(40, 1000, 17, 40 * 100)]
    [InlineData(1000, 50, 4, 50 * 30)]
    [InlineData(69, 69, 17, 68 * 68)]
    [InlineData(7, 9, 3, 1000)]
    [InlineData(7, 9, 3, 63)]
    public void CoresCoverTheFrameOnceEachAHaloInsideItsWindow(int height, int width, int halo, long maxPixels)
    {
        var grid = TileGrid.For(height, width, halo, maxPixels);
        var covered = new int[height, width];
        foreach (var t in grid.Tiles)
        {
            Assert.InRange(t.Top, 0, height - grid.WindowHeight);
            Assert.InRange(t.Left, 0, width - grid.WindowWidth);
            int bottom = t.Top + grid.WindowHeight, right = t.Left + grid.WindowWidth;
            // A window's edge inside the frame spoils `halo` pixels of its result; an edge on the frame's edge spoils none.
            Assert.InRange(t.CoreTop, t.Top + (t.Top == 0 ? 0 : halo), bottom);
            Assert.InRange(t.CoreLeft, t.Left + (t.Left == 0 ? 0 : halo), right);
            Assert.InRange(t.CoreTop + t.CoreHeight, t.CoreTop + 1, bottom - (bottom == height ? 0 : halo));
            Assert.InRange(t.CoreLeft + t.CoreWidth, t.CoreLeft + 1, right - (right == width ? 0 : halo));
            for (int i = t.CoreTop; i < t.CoreTop + t.CoreHeight; i++)
            for (int j = t.CoreLeft; j < t.CoreLeft + t.CoreWidth; j++)
                covered[i, j]++;
        }
        Assert.All(covered.Cast<int>(), c => Assert.Equal(1, c));
        if ((long)height * width <= maxPixels)
            Assert.True(grid.Whole && grid.Work == 1, $"a {height}×{width} frame fits {maxPixels} pixels but went in {grid.Tiles.Count} tiles");
        else
            Assert.True(!grid.Whole && (long)grid.WindowHeight * grid.WindowWidth <= maxPixels,
                $"{grid.Tiles.Count} windows of {grid.WindowHeight}×{grid.WindowWidth} for at most {maxPixels} pixels");
        output.WriteLine($"{height}×{width}, halo {halo}, ≤ {maxPixels} px: {grid.Tiles.Count} windows of {grid.WindowHeight}×{grid.WindowWidth}, work ×{grid.Work:F2}");
    }

    [Fact]
    public void WindowsWithNoRoomForACoreAreRefused()
    {
        var e = Assert.Throws<ReelException>(() => TileGrid.For(100, 100, 17, 34 * 34));
        Assert.Contains("over 34 pixels on a side", e.Message);
    }

    [Fact]
    public void TiledDnCnnGivesTheWholeFramesResult()
    {
        var backend = FastBackend.Instance;
        var model = DnCnn.Load(TestPaths.SharedData("weights/kair_dncnn_25.pth"), backend);
        var clean = backend.Execute(new CropOp(150, 190, 40, 30), ImageIO.Read(TestPaths.SharedData("testsets/Set12/01.png"), PixelFormat.Gray8));
        var rng = new Random(25);
        var x = new Tensor(clean.Shape);
        for (int i = 0; i < x.Length; i++) x.Data[i] = clean.Data[i] + 25f / 255f * (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));

        var whole = model.Forward(x);
        var grid = model.Tiles(150, 190, 80 * 80);
        // The least work within 6400 pixels: 3 × 3 windows of 73×86 (12 of 80×80 would do 28% more).
        Assert.Equal((9, 73, 86), (grid.Tiles.Count, grid.WindowHeight, grid.WindowWidth));
        var tiled = model.Forward(x, 80 * 80);
        double worst = Tolerance.AssertClose(whole, tiled, 1e-5, 1e-5, "tiled DnCNN vs the whole frame");

        // Why the cores keep a halo: a window's own result is off near its cut edges, by far more than the tolerance.
        var t = grid.Tiles.First(t => t.Top > 0 && t.Left > 0);
        var crop = new CropOp(grid.WindowHeight, grid.WindowWidth, t.Top, t.Left);
        var window = model.Forward(backend.Execute(crop, x));
        var same = backend.Execute(crop, whole);
        double edge = Enumerable.Range(0, grid.WindowWidth).Max(j => Math.Abs(window.At(0, 0, 0, j) - same.At(0, 0, 0, j)));
        Assert.True(edge > 1e-3, $"a window's cut edge is within {edge:G3} of the whole frame's: the test could not see a missing halo");
        output.WriteLine($"9 tiles of 73×86 (work ×{grid.Work:F2}): max |tiled − whole| {worst:G3}; a lone window's cut edge is off by up to {edge:G3}");
    }

    /// <summary>
    /// With no plan (the C ABI, <c>reel infer</c>), a host frame whose feature maps would take more
    /// than half the host's free memory goes in windows that fit it: the frame is sized from the
    /// memory this machine has now, so the test means the same on any machine.
    /// </summary>
    [Fact]
    public void AHostFrameBeyondHalfTheFreeMemoryGoesInTilesThatFitIt()
    {
        var model = SmallNets.DnCnn(17, 64, 1, FastBackend.Instance, seed: 3);
        long free = HostMemory.AvailableBytes;
        // What DnCNN takes per pixel: two feature maps to ping-pong between, and the frame, its noise and its residual.
        long perPixel = sizeof(float) * (2L * 64 + 3);
        int side = (int)Math.Ceiling(Math.Sqrt(1.5 * (free / 2) / perPixel));
        var grid = model.TilesFor(new Shape(1, 1, side, side), long.MaxValue);
        long window = (long)grid.WindowHeight * grid.WindowWidth * perPixel;
        output.WriteLine($"{free >> 20} MiB free: a {side}² frame goes in {grid.Tiles.Count} windows of {grid.WindowWidth}×{grid.WindowHeight} ({window >> 20} MiB each)");
        Assert.False(grid.Whole, $"a {side}² frame needs {(long)side * side * perPixel >> 20} MiB, over half the {free >> 20} MiB free, and went whole");
        // Other tests run beside this one, so the memory free when the windows were chosen may differ a little from either reading.
        long most = Math.Max(free, HostMemory.AvailableBytes);
        Assert.InRange(window, 1, most / 2 + most / 10);

        // A frame well within it goes whole.
        Assert.True(model.TilesFor(new Shape(1, 1, 256, 256), long.MaxValue).Whole);
    }

    [Theory]
    [InlineData(16_000, 1_000, 20_000L, 15_000)] // the heap's limit leaves less than the machine has
    [InlineData(16_000, 1_000, 9_000L, 9_000)]   // the machine has less than the limit leaves
    [InlineData(16_000, 1_000, null, 15_000)]    // no MemAvailable: the limit alone
    [InlineData(1_000, 2_000, 9_000L, 0)]        // a heap over its limit leaves nothing, not less
    public void HostMemoryIsTheLeastOfWhatTheHeapLimitAndTheMachineLeave(long limit, long heap, long? machine, long available) =>
        Assert.Equal(available, HostMemory.Available(limit, heap, machine));

    [Fact]
    public void ThisMachineReportsItsAvailableMemory()
    {
        long? machine = HostMemory.MachineAvailableBytes();
        output.WriteLine($"MemAvailable: {(machine is long m ? $"{m >> 20} MiB" : "none")}; available to this process: {HostMemory.AvailableBytes >> 20} MiB");
        Assert.NotNull(machine); // Linux with a kernel from 2014 or later: CI and every machine reel supports.
        Assert.True(machine > 1L << 20, $"MemAvailable read as {machine} bytes");
    }
}
