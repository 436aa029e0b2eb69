using System.Text.Json;
using Reel.Engine.Backends.Cuda;
using Reel.Tests.Support;

namespace Reel.Tests.Cuda;

/// <summary>The CUDA-facing CLI on a machine without a GPU: kernels check, and --device.</summary>
public class CudaCliTests
{
    /// <summary>
    /// Every kernel compiles with NVRTC for sm_80 and sm_90 and assembles with ptxas without
    /// spilling. NVRTC and ptxas are installed by build.sh (DESIGN §4); their absence fails here.
    /// </summary>
    [Fact]
    public void KernelsCheckCompilesEveryKernelForAmpereAndHopperWithoutSpills()
    {
        Assert.True(KernelCheck.FindPtxas() is not null, "ptxas not found (REEL_PTXAS, PATH, ~/.cache/reel/cuda/usr/bin): ./build.sh test installs it");
        var r = ReelProcess.Run("kernels", "check", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        using var doc = JsonDocument.Parse(r.Stdout.Trim().Split('\n')[^1]);
        var rows = doc.RootElement.EnumerateArray().Select(e => (
            Name: e.GetProperty("name").GetString()!, Arch: e.GetProperty("arch").GetString()!,
            Registers: e.GetProperty("registers").GetInt32(), Spill: e.GetProperty("spill_bytes").GetInt32(),
            Compiled: e.GetProperty("compiled").GetBoolean())).ToArray();
        foreach (var arch in new[] { "sm_80", "sm_90" })
        {
            var names = rows.Where(x => x.Arch == arch).Select(x => x.Name).ToHashSet();
            Assert.True(names.Count >= 6, $"{arch}: only {names.Count} kernels");
            var missing = KernelSources.Kernels.Select(k => k.Name).Where(n => !names.Contains(n)).ToArray();
            Assert.True(missing.Length == 0, $"{arch}: not reported: {string.Join(", ", missing)}");
        }
        Assert.All(rows, x =>
        {
            Assert.True(x.Compiled, $"{x.Name} {x.Arch} did not compile");
            Assert.True(x.Registers is > 0 and <= 255, $"{x.Name} {x.Arch}: {x.Registers} registers");
            Assert.True(x.Spill == 0, $"{x.Name} {x.Arch} spills {x.Spill} bytes");
        });
    }

    [Fact]
    public void DeviceCudaWithoutAGpuExitsWithOneLineReason()
    {
        var input = Path.Combine(TestPaths.NewTempDir(), "in.mp4");
        File.WriteAllBytes(input, new byte[16]);
        var r = ReelProcess.Run("restore", input, input + ".out.mp4", "--device", "cuda");
        Assert.Equal(1, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (CudaBackend.TryCreate(out _) is { } gpu)
        {
            // On a machine with a usable GPU the device is accepted and the 16 junk bytes are what fails.
            gpu.Dispose();
            Assert.StartsWith("device: cuda (", lines[0]);
            return;
        }
        Assert.Single(lines);
        Assert.StartsWith("reel: error: --device cuda: ", lines[0]);
        Assert.Contains("--device cpu", lines[0]);
    }

    [Fact]
    public void DeviceAutoFallsBackToTheCpuAndSaysWhy()
    {
        var output = Path.Combine(TestPaths.NewTempDir(), "y.npy");
        var r = ReelProcess.Run("infer", "--model", "dncnn", "--device", "auto", "--weights", Golden.Dncnn.File("saoyan_b20_legacy.pth"),
            "--input", Golden.Dncnn.File("saoyan_b20_legacy_x.npy"), "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        if (CudaBackend.TryCreate(out _) is { } gpu)
        {
            gpu.Dispose();
            Assert.StartsWith("device: cuda (", line); // and the output went through the GPU path
            return;
        }
        Assert.StartsWith("device: cpu (CUDA unavailable: ", line);
        Assert.True(File.Exists(output));
    }
}
