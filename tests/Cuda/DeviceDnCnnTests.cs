using Reel.Emulation;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Backends.Cuda;
using Reel.Engine.Models;
using Reel.Engine.Tensors;
using Reel.Tests.Support;
using Xunit.Abstractions;

namespace Reel.Tests.Cuda;

/// <summary>
/// DnCNN frame after frame on the emulated GPU: each frame size is run eagerly until the pool is
/// warm, captured into a graph once, and replayed for every later frame of that size, with the
/// frame's data going through the graph's fixed buffers and the CPU reference's results (to float rounding:
/// cuDNN adds the bias after the sum).
/// </summary>
public class DeviceDnCnnTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void FramesReplayOneGraphPerFrameSizeWithTheCpuResult(int channels) =>
        OnBoth(channels, seed: channels, (device, gpu, model, cpu) =>
        {
            var rng = new Random(channels);
            int frames = 0;
            foreach (var (h, w, count) in new[] { (23, 37, 6), (16, 20, 5), (23, 37, 2) })
            for (int i = 0; i < count; i++, frames++)
            {
                var x = new Tensor(new Shape(1, channels, h, w), EmulatedGpu.RandomFloats(rng, channels * h * w, 0, 1));
                using var onDevice = gpu.Import(x);
                using var y = model.Forward(onDevice);
                Assert.False(y.IsOnHost);
                // cuDNN adds the bias to the finished sum (the emulated one too), the CPU's kernels in their own order: rounding apart, no more.
                Assert.InRange(DeviceTrainingTests.RelativeL2(cpu.Forward(x), y.ToHost()), 0, 1e-6);
            }
            Assert.Equal(2, gpu.GraphsCaptured);
            Assert.Equal(0, gpu.StagedCopies);
            // A host frame comes back on the host, through the same graph.
            var host = new Tensor(new Shape(1, channels, 16, 20), EmulatedGpu.RandomFloats(rng, channels * 320, 0, 1));
            Assert.InRange(DeviceTrainingTests.RelativeL2(cpu.Forward(host), model.Forward(host)), 0, 1e-6);
            Assert.Equal(2, gpu.GraphsCaptured);
            output.WriteLine($"{channels} channel(s): {frames + 1} frames of two sizes, {gpu.GraphsCaptured} graphs captured, every frame the CPU reference's to 1e-6");
        });

    /// <summary>A frame in tiles on the device: the windows cut, run and pasted back inside the frame's graph, the whole frame's CPU result, nothing left allocated.</summary>
    [Fact]
    public void TiledFramesReplayOneGraphWithTheWholeFramesCpuResult() =>
        OnBoth(channels: 3, seed: 5, (_, gpu, model, cpu) =>
        {
            const long tilePixels = 300;
            var grid = model.Tiles(23, 37, tilePixels);
            Assert.True(grid.Tiles.Count >= 4, $"{grid.Tiles.Count} tiles");
            var rng = new Random(9);
            for (int i = 0; i < 5; i++)
            {
                var x = new Tensor(new Shape(1, 3, 23, 37), EmulatedGpu.RandomFloats(rng, 3 * 23 * 37, 0, 1));
                using var onDevice = gpu.Import(x);
                using var y = model.Forward(onDevice, tilePixels);
                Assert.InRange(DeviceTrainingTests.RelativeL2(cpu.Forward(x), y.ToHost()), 0, 1e-6);
            }
            Assert.Equal(1, gpu.GraphsCaptured);
            Assert.Equal(0, gpu.StagedCopies);
            output.WriteLine($"5 frames of 23×37 in {grid.Tiles.Count} windows of {grid.WindowHeight}×{grid.WindowWidth}, one graph: the whole frame's CPU result to 1e-6");
        });

    /// <summary>
    /// A frame whose feature maps a full device cannot hold goes through in tiles sized from the free
    /// memory, where the whole frame's allocation would fail with the driver's out-of-memory error.
    /// </summary>
    [Fact]
    public void AFrameLargerThanTheDeviceHoldsGoesInTilesSizedFromItsFreeMemory() =>
        OnBoth(channels: 1, seed: 3, (device, gpu, model, cpu) =>
        {
            var rng = new Random(4);
            var x = new Tensor(new Shape(1, 1, 96, 128), EmulatedGpu.RandomFloats(rng, 96 * 128, 0, 1));
            using var onDevice = gpu.Import(x);
            // The whole frame's two 8-channel feature maps alone are 786 KB; the device has 700 KB left.
            const long room = 700_000;
            device.FreeMemoryBytes = room;
            device.MemoryLimitBytes = device.LiveBytes + room;
            for (int i = 0; i < 4; i++)
            {
                using var y = model.Forward(onDevice);
                Assert.InRange(DeviceTrainingTests.RelativeL2(cpu.Forward(x), y.ToHost()), 0, 1e-6);
            }
            device.MemoryLimitBytes = null;
            Assert.Equal(1, gpu.GraphsCaptured);
        });

    /// <summary>The same small DnCNN (4 layers, width 8) on a private emulated device and on the CPU reference; afterwards no device memory is left.</summary>
    private static void OnBoth(int channels, int seed, Action<EmulatedDevice, CudaBackend, DnCnn, DnCnn> body)
    {
        using var device = EmulatedGpu.OpenPrivate();
        using (var gpu = EmulatedGpu.Backend(device, ReferenceBackend.Instance))
        using (var model = SmallNets.DnCnn(layers: 4, width: 8, channels, gpu, seed))
        using (var cpu = SmallNets.DnCnn(layers: 4, width: 8, channels, ReferenceBackend.Instance, seed))
            body(device, gpu, model, cpu);
        Assert.Equal(0, device.LiveAllocations);
    }
}
