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

    /// <summary>An --arch list with no architecture in it divided the kernel count by zero ("internal error … please report it").</summary>
    [Fact]
    public void AnArchListOfNothingIsRefused()
    {
        var r = ReelProcess.Run("kernels", "check", "--arch", ",");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("reel: error: --arch: ',' names no compute capability; give some, such as 80,90", r.Stderr.Trim());
    }

    /// <summary>An architecture this NVRTC does not know was "NVRTC_ERROR_INVALID_OPTION (status 5)", nothing said of why.</summary>
    [Fact]
    public void AnArchitectureNvrtcDoesNotKnowIsNamedWithTheOnesItDoes()
    {
        var supported = NvrtcCompiler.SupportedArchitectures();
        int beyond = supported[^1] + 10;
        var r = ReelProcess.Run("kernels", "check", "--arch", $"80,{beyond}");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"reel: error: NVRTC {NvrtcCompiler.Version()} here does not compile for sm_{beyond}: it knows {string.Join(", ", supported)}; a newer NVRTC (CUDA toolkit) does",
            r.Stderr.Trim());
    }

    [Fact]
    public void DeviceCudaWithoutAGpuExitsWithOneLineReason()
    {
        var input = Path.Combine(TestPaths.NewTempDir(), "in.mp4");
        File.WriteAllBytes(input, new byte[16]);
        var r = ReelProcess.Run("restore", input, input + ".out.mp4", "--device", "cuda");
        Assert.Equal(1, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (CudaBackend.TryCreate(null, out _) is { } gpu)
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

    /// <summary>selftest's refusal without a GPU suggested "--device cpu or auto", which selftest itself refuses.</summary>
    [Fact]
    public void SelfTestWithoutAGpuSuggestsWhatItTakes()
    {
        if (CudaBackend.TryCreate(null, out _) is { } gpu)
        {
            gpu.Dispose();
            return;
        }
        var r = ReelProcess.Run("selftest", "--small");
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("reel: error: --device cuda: ", line);
        Assert.EndsWith("; --device emu checks the same code on the emulated device", line);
    }

    [Fact]
    public void DeviceAutoFallsBackToTheCpuAndSaysWhy()
    {
        var output = Path.Combine(TestPaths.NewTempDir(), "y.npy");
        var r = ReelProcess.Run("infer", "--model", "dncnn", "--device", "auto", "--weights", Golden.Dncnn.File("saoyan_b20_legacy.pth"),
            "--input", Golden.Dncnn.File("saoyan_b20_legacy_x.npy"), "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        if (CudaBackend.TryCreate(null, out _) is { } gpu)
        {
            gpu.Dispose();
            Assert.StartsWith("device: cuda (", line); // and the output went through the GPU path
            return;
        }
        Assert.StartsWith("device: cpu (CUDA unavailable: ", line);
        Assert.True(File.Exists(output));
    }

    /// <summary>REEL_CUDNN_SEARCH picks how cuDNN's algorithms are chosen; the device line says heuristics, a wrong value is one clear error.</summary>
    [Fact]
    public void CudnnSearchIsChosenByTheEnvironment()
    {
        var heuristic = ReelProcess.RunWithEnvironment(new Dictionary<string, string> { ["REEL_CUDNN_SEARCH"] = "heuristic" },
            "selftest", "--device", "emu", "--small", "--json");
        Assert.True(heuristic.ExitCode == 0, heuristic.Stdout + heuristic.Stderr);
        Assert.Contains("heuristic algorithms)", heuristic.Stderr);
        var wrong = ReelProcess.RunWithEnvironment(new Dictionary<string, string> { ["REEL_CUDNN_SEARCH"] = "fastest" }, "selftest", "--device", "emu", "--small");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Equal("reel: error: REEL_CUDNN_SEARCH must be measured or heuristic, got 'fastest'", wrong.Stderr.Trim());
    }

    /// <summary>
    /// CUDA 13's libraries as PyTorch installs them: in NVIDIA's wheel folders under python3's
    /// site-packages (here a user site made for the test, holding shared libraries under cuBLASLt 13's
    /// and cuDNN 9's names), found without any variable naming them; NVRTC through the system loader;
    /// the bound NVRTC functions all exported; a missing library's error names every soname and place tried.
    /// </summary>
    [Fact]
    public void LibrariesAreFoundInNvidiasWheelFolders()
    {
        var userBase = TestPaths.NewTempDir();
        var site = RunPython(userBase, "import site; print(site.getusersitepackages())");
        var cu13 = Directory.CreateDirectory(Path.Combine(site, "nvidia", "cu13", "lib")).FullName;
        var cudnn = Directory.CreateDirectory(Path.Combine(site, "nvidia", "cudnn", "lib")).FullName;
        // Any real shared library will do: the loader opens the file by path, whatever its soname.
        File.Copy(FindSystemLibrary("libz.so.1"), Path.Combine(cu13, "libcublasLt.so.13"));
        File.Copy(FindSystemLibrary("libz.so.1"), Path.Combine(cudnn, "libcudnn.so.9"));
        var r = ReelProcess.RunWithEnvironment(new Dictionary<string, string> { ["PYTHONUSERBASE"] = userBase }, "kernels", "libraries", "--json");
        using var doc = JsonDocument.Parse(r.Stdout.Trim().Split('\n')[^1]);
        var libraries = doc.RootElement.GetProperty("libraries").EnumerateArray()
            .ToDictionary(e => e.GetProperty("name").GetString()!, e => (Found: e.GetProperty("found").GetBoolean(), Detail: e.GetProperty("detail").GetString()!));
        Assert.True(libraries["cublasLt"].Found, libraries["cublasLt"].Detail);
        Assert.Equal(Path.Combine(cu13, "libcublasLt.so.13"), libraries["cublasLt"].Detail);
        Assert.True(libraries["cudnn"].Found, libraries["cudnn"].Detail);
        Assert.Equal(Path.Combine(cudnn, "libcudnn.so.9"), libraries["cudnn"].Detail);
        Assert.True(libraries["nvrtc"].Found, libraries["nvrtc"].Detail);
        Assert.False(libraries["cuda"].Found);
        foreach (var place in new[] { "libcuda.so.1", "system loader", cu13, cudnn })
            Assert.Contains(place, libraries["cuda"].Detail);
        var nvrtc = doc.RootElement.GetProperty("symbols").EnumerateArray().Where(e => e.GetProperty("library").GetString() == "nvrtc").ToArray();
        Assert.True(nvrtc.Length >= 9);
        Assert.All(nvrtc, e => Assert.True(e.GetProperty("exported").GetBoolean(), e.GetProperty("symbol").GetString()));
        // cuBLASLt is loaded for cuDNN, which opens it itself: no function of it is bound, so none is checked.
        Assert.DoesNotContain(doc.RootElement.GetProperty("symbols").EnumerateArray(), e => e.GetProperty("library").GetString() == "cublasLt");
        // The driver was not found, so its functions were not looked for (null); the cuDNN stand-in loaded and lacks them (false).
        var symbols = doc.RootElement.GetProperty("symbols").EnumerateArray().ToArray();
        Assert.All(symbols.Where(e => e.GetProperty("library").GetString() == "cuda"), e => Assert.Equal(JsonValueKind.Null, e.GetProperty("exported").ValueKind));
        Assert.All(symbols.Where(e => e.GetProperty("library").GetString() == "cudnn"), e => Assert.Equal(JsonValueKind.False, e.GetProperty("exported").ValueKind));
        Assert.Contains(symbols, e => e.GetProperty("library").GetString() == "cuda");
        // The cuDNN stand-in exports none of cuDNN's functions: a loaded library missing a bound one fails the command.
        Assert.Equal(1, r.ExitCode);
    }

    private static string RunPython(string userBase, string code)
    {
        var start = new System.Diagnostics.ProcessStartInfo("python3") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(code);
        start.Environment["PYTHONUSERBASE"] = userBase;
        using var python = System.Diagnostics.Process.Start(start)!;
        var output = python.StandardOutput.ReadToEnd().Trim();
        python.WaitForExit();
        return output;
    }

    private static string FindSystemLibrary(string name) =>
        new[] { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64" }.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException($"{name} not found in the system library folders");
}
