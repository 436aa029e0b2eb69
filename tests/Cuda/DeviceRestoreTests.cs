using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Backends.Cuda;
using Reel.Engine.Checkpoints;
using Reel.Engine.Models;
using Reel.Engine.Pipeline;
using Reel.Engine.Temporal;
using Reel.Engine.Video;
using Reel.Tests.Support;
using Xunit.Abstractions;

namespace Reel.Tests.Cuda;

/// <summary>
/// The whole restore on the emulated GPU — DnCNN, clamp, gray → RGB, Lab, the 256² bicubic resize,
/// the ECCV16 colorizer, the annealed mean, the ab upsample and join, then the prior's training and
/// inference in chroma mode or the flow stage — against the same restore on the CPU, with every op
/// on the device: no staged copy (CudaBackend.StagedCopies), only frames, losses and cut thumbnails
/// cross, as transfers; each frame is read back while the next one's work is queued.
/// </summary>
public class DeviceRestoreTests(ITestOutputHelper output)
{
    /// <summary>
    /// The prior's restore on the device gives the CPU's frames with no host copy per op, and the host never
    /// waits for the device to drain: the chroma match's moments are reduced there and each frame's read
    /// once the next frame is queued.
    /// </summary>
    [Fact]
    public void RestoreOnTheDeviceEqualsTheCpuWithNoHostCopyPerOp() => Assert.Equal((0, 0), RestoreOnBoth(TemporalMethod.Prior));

    /// <summary>
    /// The flow stage on the device gives the CPU's frames with no host copy per op: its ops (the 8-bit
    /// luma, DIS flow, warp, check, screened Poisson, Lab) run there, and the host never waits for the
    /// device to drain (a restore's shots are cut already, so the stage reads no cut thumbnail back).
    /// </summary>
    [Fact]
    public void FlowRestoreOnTheDeviceEqualsTheCpuWithNoHostCopyPerOp() => Assert.Equal((0, 0), RestoreOnBoth(TemporalMethod.Flow));

    /// <summary>
    /// The same restore with the emulated cuDNN rounding as TF32 and bf16 do (the plans' math types, the bf16
    /// NHWC operands, in graphs and out): within the fp32 run's 2 levels of the CPU's frames, and not equal to
    /// them (the rounding happened).
    /// </summary>
    [Theory]
    [InlineData(Precision.Tf32)]
    [InlineData(Precision.Bf16)]
    public void ARestoreInReducedPrecisionStaysNearTheCpus(Precision precision) =>
        Assert.Equal((0, 0), RestoreOnBoth(TemporalMethod.Prior, precision));

    /// <summary>
    /// A device with too little free memory for a frame's DnCNN feature maps: the restore says it denoises
    /// in tiles for the GPU's free memory, and gives the CPU's whole-frame result.
    /// </summary>
    [Fact]
    public void ADeviceTooSmallForAFrameDenoisesInTilesAndSaysSo()
    {
        var dir = TestPaths.NewTempDir();
        var clip = Media.MakeClip(dir, size: "64x48", seconds: 0.3, audio: false);
        var options = new RestoreOptions { Stabilize = false };
        using (var cpu = SmallNets.DnCnn(layers: 4, width: 8, channels: 1, FastBackend.Instance, seed: 3))
            RestorePipeline.Run(clip, Path.Combine(dir, "cpu"), options with { Denoiser = cpu }, FastBackend.Instance);
        using var device = EmulatedGpu.OpenPrivate();
        var notes = new List<string>();
        using (var gpu = EmulatedGpu.Backend(device))
        using (var net = SmallNets.DnCnn(layers: 4, width: 8, channels: 1, gpu, seed: 3))
        {
            // The whole 64×48 frame's maps take 76 bytes a pixel, 233 KB; half of 200 KB holds a 1,300-pixel window.
            device.FreeMemoryBytes = 200_000;
            RestorePipeline.Run(clip, Path.Combine(dir, "gpu"), options with { Denoiser = net }, gpu,
                p => { if (p.Stage == RestoreStage.Note) notes.Add(p.Detail); });
        }
        Assert.Contains(notes, n => n.StartsWith("denoising in ", StringComparison.Ordinal) && n.Contains("to stay within the GPU's free memory"));
        foreach (var name in Directory.GetFiles(Path.Combine(dir, "cpu")).Select(Path.GetFileName))
        {
            var a = ImageIO.ReadPixels(Path.Combine(dir, "cpu", name!), PixelFormat.Rgb24).Pixels;
            var b = ImageIO.ReadPixels(Path.Combine(dir, "gpu", name!), PixelFormat.Rgb24).Pixels;
            Assert.All(a.Zip(b), v => Assert.InRange(Math.Abs(v.First - v.Second), 0, 1));
        }
        Assert.Equal(0, device.LiveAllocations);
        output.WriteLine(notes.First(n => n.StartsWith("denoising in ", StringComparison.Ordinal)));
    }

    /// <summary>Restores a tiny clip on the CPU and on the emulated device, asserts equal frames and no device memory left; returns the staged copies and the reads that drained the device.</summary>
    private (int Staged, int Draining) RestoreOnBoth(TemporalMethod temporal, Precision precision = Precision.Fp32)
    {
        var dir = TestPaths.NewTempDir();
        var clip = Media.MakeClip(dir, size: "32x24", seconds: 0.3, audio: false);
        var cpuOut = Path.Combine(dir, "cpu");
        Restore(clip, cpuOut, FastBackend.Instance, temporal);
        using var device = EmulatedGpu.OpenPrivate();
        var gpuOut = Path.Combine(dir, "gpu");
        int staged, transfers, draining;
        // At each frame's hand-on to the shot (Process) and to its encoder (Encode), how much of the compute
        // stream's work the host had waited for, of how much was queued.
        var handedOn = new Dictionary<string, List<(int Seen, int Queued)>> { [RestoreStage.Process] = new(), [RestoreStage.Encode] = new() };
        using (var gpu = EmulatedGpu.Backend(device, precision: precision))
        {
            Restore(clip, gpuOut, gpu, temporal, p =>
            {
                if (handedOn.TryGetValue(p.Stage, out var at)) at.Add((device.Seen(null, gpu.Stream), device.Enqueued(gpu.Stream)));
            });
            (staged, transfers, draining) = (gpu.StagedCopies, gpu.Transfers, gpu.DrainingReads);
            // DnCNN's conv + bias + ReLU layers ran fused (fp32, TF32): no refused fused call was hidden by the fallback.
            Assert.Equal(0, ((CudnnConvolutions)gpu.Convolutions).FusionsRefused);
        }
        Assert.Equal(0, device.LiveAllocations);
        // Each frame but the shot's last is read while the next frame's work is queued (its stages, or with the
        // prior its prediction), which the host has not waited for.
        foreach (var (stage, at) in handedOn)
        {
            Assert.Equal(3, at.Count);
            foreach (var (seen, queued) in at.SkipLast(1))
                Assert.True(seen < queued, $"{stage}: a frame was handed on after the host waited for all {queued} operations queued, the next frame's included");
        }
        var names = Directory.GetFiles(cpuOut).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(3, names.Length);
        Assert.Equal(names, Directory.GetFiles(gpuOut).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray());
        int worst = 0;
        long differing = 0, total = 0;
        foreach (var name in names)
        {
            var a = ImageIO.ReadPixels(Path.Combine(cpuOut, name!), PixelFormat.Rgb24).Pixels;
            var b = ImageIO.ReadPixels(Path.Combine(gpuOut, name!), PixelFormat.Rgb24).Pixels;
            for (int i = 0; i < a.Length; i++)
            {
                int d = Math.Abs(a[i] - b[i]);
                worst = Math.Max(worst, d);
                if (d > 0) differing++;
            }
            total += a.Length;
        }
        output.WriteLine($"3 frames 32×24 restored ({temporal}, {precision}) on the emulated device: max |Δ| {worst} of 255, {differing} of {total} values differ; " +
                         $"{staged} staged copies, {transfers} frame and loss transfers, {draining} reads that drained the device");
        Assert.True(worst <= 2, $"the device's restore differs from the CPU's by up to {worst} levels");
        if (precision != Precision.Fp32) Assert.True(differing > 0, $"{precision} gave the CPU's frames exactly: its rounding never happened");
        return (staged, draining);
    }

    private static void Restore(string clip, string outFolder, IBackend backend, TemporalMethod temporal, Action<RestoreProgress>? progress = null)
    {
        using var denoiser = SmallNets.DnCnn(layers: 4, width: 8, channels: 1, backend, seed: 3);
        using var colorizer = Colorizer.FromWeights(CheckpointLoader.Load(Golden.Colorizer.File("eccv16.pth")), backend);
        var options = new RestoreOptions
        {
            Denoiser = denoiser,
            Colorizer = colorizer,
            Prior = new StabilizeOptions { Mode = StabilizeMode.Chroma, Epochs = 6, Width = 4, Seed = 2 },
            Temporal = temporal,
        };
        RestorePipeline.Run(clip, outFolder, options, backend, progress);
    }
}
