using System.Text.Json;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>`reel bench` contracts scripts rely on (bench/compare.py): the JSON last line, the CUDA refusal. No timing assertions.</summary>
public class BenchCommandTests
{
    [Theory]
    [InlineData("dncnn", "24x20")]
    [InlineData("colorizer", "16x16")]
    // 48: a multiple of 16, what the network takes (as in `reel infer`), though not of the 32 a restore pads to; it was refused.
    [InlineData("unet", "48x32")]
    public void JsonLastLineHasTheMedianAndTheLayers(string model, string size)
    {
        var r = ReelProcess.Run("bench", "--model", model, "--size", size, "--runs", "2", "--warmup", "1", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Trim().Split('\n');
        Assert.Contains("median", lines[0] + lines[^2]);
        using var doc = JsonDocument.Parse(lines[^1]);
        var j = doc.RootElement;
        Assert.True(j.GetProperty("median_ms").GetDouble() > 0);
        Assert.Equal(model, j.GetProperty("model").GetString());
        Assert.Equal(size, j.GetProperty("size").GetString());
        Assert.Equal("cpu", j.GetProperty("device").GetString());
        Assert.Equal(2, j.GetProperty("runs").GetInt32());
        Assert.Equal(2, j.GetProperty("times_ms").GetArrayLength());
        Assert.True(j.GetProperty("gflop").GetDouble() > 0);
        Assert.InRange(j.GetProperty("median_ms").GetDouble(), j.GetProperty("min_ms").GetDouble(), j.GetProperty("max_ms").GetDouble());
        // A rate of the forward's FLOPs, which the U-Net's training step (forward, backward, Adam) has none of: null, as the plain line gives none.
        if (model == "unet") Assert.Equal(JsonValueKind.Null, j.GetProperty("gflops").ValueKind);
        else Assert.True(j.GetProperty("gflops").GetDouble() > 0);
        Assert.True(j.GetProperty("layers").GetArrayLength() > 5);
        // Each convolution names the path the CPU backend took for it.
        var convs = j.GetProperty("layers").EnumerateArray().Where(l => l.GetProperty("name").GetString()!.StartsWith("conv ")).ToArray();
        Assert.NotEmpty(convs);
        Assert.All(convs, l => Assert.Contains(l.GetProperty("path").GetString(), new[] { "ImplicitGemm", "Im2Col", "WinogradF4", "WinogradF2" }));
        // The CPU has no device clock: its work is timed by the host alone.
        Assert.Equal(JsonValueKind.Null, j.GetProperty("device_median_ms").ValueKind);
        Assert.Equal(JsonValueKind.Null, j.GetProperty("device_times_ms").ValueKind);
        Assert.Equal(JsonValueKind.Null, j.GetProperty("restore_device_median_ms").ValueKind);
        Assert.False(j.GetProperty("layers_on_device").GetBoolean());
    }

    /// <summary>
    /// On a CUDA backend each run is also timed by events on the device's stream (bench/gpu reads
    /// device_median_ms); on the emulated device the events stamp when the enqueued work ended, so
    /// every device time lies inside the host time around the same run. The same net unprofiled, as a
    /// restore runs it (graphs replayed), is timed too (restore_device_*, what bench/gpu compares with PyTorch).
    /// </summary>
    [Theory]
    [InlineData("dncnn", "12x16")]
    [InlineData("unet", "32x32")]
    public void DeviceBackendsReportDeviceEventTimes(string model, string size)
    {
        var r = ReelProcess.Run("bench", "--model", model, "--size", size, "--device", "emu", "--runs", "3", "--warmup", "1", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("device events: median", r.Stdout);
        using var doc = JsonDocument.Parse(r.Stdout.Trim().Split('\n')[^1]);
        var j = doc.RootElement;
        Assert.Equal("emu", j.GetProperty("device").GetString());
        var host = j.GetProperty("times_ms").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var device = j.GetProperty("device_times_ms").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(3, device.Length);
        for (int i = 0; i < 3; i++) Assert.True(device[i] > 0 && device[i] <= host[i], $"run {i}: device {device[i]} ms, host {host[i]} ms");
        double median = j.GetProperty("device_median_ms").GetDouble();
        Assert.Equal(device.OrderBy(t => t).ElementAt(1), median, 3);
        Assert.Contains("device events, unprofiled as a restore runs it", r.Stdout);
        var replayed = j.GetProperty("restore_device_times_ms").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(3, replayed.Length);
        Assert.All(replayed, t => Assert.True(t > 0, $"a replayed run took {t} ms on the device"));
        Assert.Equal(replayed.OrderBy(t => t).ElementAt(1), j.GetProperty("restore_device_median_ms").GetDouble(), 3);
        // Each layer timed by the device's marks around it, inside the runs' own marks: their medians sum to no more than the runs' device times.
        Assert.True(j.GetProperty("layers_on_device").GetBoolean());
        var layers = j.GetProperty("layers").EnumerateArray().ToArray();
        double summed = layers.Where(l => !l.GetProperty("name").GetString()!.StartsWith("between")).Sum(l => l.GetProperty("ms").GetDouble());
        Assert.True(summed > 0 && summed <= device.Sum(), $"layers sum to {summed} ms, the device's runs took {string.Join(", ", device)} ms");
        // Each convolution names the cuDNN algorithm and math type its plan chose, not a CPU path.
        var convs = layers.Where(l => l.GetProperty("name").GetString()!.StartsWith("conv ")).ToArray();
        Assert.NotEmpty(convs);
        Assert.All(convs, l => Assert.Matches(@"^cudnn \d+ (fma|tc|default)( fused)?$", l.GetProperty("path").GetString()));
        // The memory-bound layers (no FLOPs counted) carry the GB/s bench/gpu compares with the copy bandwidth.
        Assert.Contains(layers, l => l.GetProperty("gflops").GetDouble() == 0 && !l.GetProperty("name").GetString()!.StartsWith("between") && l.GetProperty("gbps").GetDouble() > 0);
        Assert.All(layers, l => Assert.True(l.GetProperty("gbps").GetDouble() >= 0, l.ToString()));
    }

    [Fact]
    public void CudaIsRefusedInOneLine()
    {
        var r = ReelProcess.Run("bench", "--model", "dncnn", "--device", "cuda");
        Assert.Equal(1, r.ExitCode);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.Contains("cuda", r.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>auto, which the refusal above suggests, benches where it can and names the device it chose (it was refused as an unknown value).</summary>
    [Fact]
    public void AutoBenchesTheDeviceItChoosesAndNamesIt()
    {
        var r = ReelProcess.Run("bench", "--model", "dncnn", "--size", "32x32", "--device", "auto", "--runs", "1", "--warmup", "0", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var device = System.Text.Json.JsonDocument.Parse(r.Stdout.Trim().Split('\n')[^1]).RootElement.GetProperty("device").GetString();
        Assert.Contains(device, new[] { "cpu", "cuda" });
        if (device == "cpu") Assert.Contains("device: cpu (", r.Stderr);
    }

    /// <summary>--peak times the CPU alone: a model asked for beside it is refused, where it was dropped without a word; --device cpu is not.</summary>
    [Fact]
    public void PeakRefusesWhatItWouldIgnore()
    {
        var r = ReelProcess.Run("bench", "--peak", "--model", "unet", "--size", "64x64");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("reel: error: --peak measures this CPU's FMA peak alone; run it without --model, --size", r.Stderr.Trim());
        // The CPU named is the one it measures: it was refused as a device given beside it.
        r = ReelProcess.Run("bench", "--peak", "--device", "cpu", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(JsonDocument.Parse(r.Stdout.Trim().Split('\n')[^1]).RootElement.GetProperty("peak_gflops_all").GetDouble() > 0);
    }

    /// <summary>
    /// What the run would not use is refused, where it was dropped without a word: --conv-path on the device (cuDNN chooses
    /// there; the banner named a CPU path that never ran), and --device or --precision beside infer's --reference (the
    /// CPU's scalar reference ran, and a parity script took its figures for the device's).
    /// </summary>
    [Theory]
    [InlineData("--conv-path is not used: it chooses the CPU's convolution algorithm", "bench", "--model", "dncnn", "--size", "16x16", "--device", "emu", "--conv-path", "winograd")]
    [InlineData("--device, --precision are not used: --reference runs the scalar reference on the CPU", "infer", "--model", "dncnn", "--weights", "w.pth", "--input", "x.npy",
        "--output", "y.npy", "--reference", "--device", "emu", "--precision", "bf16")]
    public void OptionsTheRunWouldNotUseAreRefused(string said, params string[] args)
    {
        // Refused before any file is read: infer's names need not exist.
        var r = ReelProcess.RunIn(TestPaths.NewTempDir(), new Dictionary<string, string>(), args);
        Assert.True(r.ExitCode == 2, r.Stderr);
        Assert.Contains("reel: error: " + said, r.Stderr);
    }

    /// <summary>What names what the run does is not refused: --conv-path auto on the device (cuDNN's choice), --device cpu beside --reference.</summary>
    [Fact]
    public void OptionsThatSayWhatTheRunDoesAreTaken()
    {
        var r = ReelProcess.Run("bench", "--model", "dncnn", "--size", "16x16", "--device", "emu", "--conv-path", "auto", "--runs", "1", "--warmup", "0");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var dir = TestPaths.NewTempDir();
        Reel.Engine.Checkpoints.Npy.Write(Path.Combine(dir, "x.npy"), new Reel.Engine.Tensors.Tensor(new Reel.Engine.Tensors.Shape(1, 1, 8, 8)));
        r = ReelProcess.RunIn(dir, new Dictionary<string, string>(), "infer", "--model", "dncnn", "--weights", TestPaths.SharedData("weights/kair_dncnn_25.pth"),
            "--input", "x.npy", "--output", "y.npy", "--reference", "--device", "cpu");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(File.Exists(Path.Combine(dir, "y.npy")));
    }

    [Fact]
    public void BadSizeIsAUsageError()
    {
        var r = ReelProcess.Run("bench", "--model", "dncnn", "--size", "0x-3");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--size", r.Stderr);
    }
}
