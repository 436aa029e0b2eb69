using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// What `reel kernels check` does: every kernel file through NVRTC for each architecture,
/// then, where ptxas exists, assembled to SASS with its -v report (registers, spill bytes,
/// shared memory). A GPU is never touched.
/// </summary>
public static partial class KernelCheck
{
    /// <summary>Ampere (A100) and Hopper (H100): the GPUs the backend is written for.</summary>
    public static readonly IReadOnlyList<int> DefaultArchitectures = new[] { 80, 90 };

    /// <summary>ptxas from REEL_PTXAS, PATH, or where build.sh extracts the CUDA toolkit (~/.cache/reel/cuda).</summary>
    public static string? FindPtxas()
    {
        var explicitPath = Environment.GetEnvironmentVariable("REEL_PTXAS");
        if (!string.IsNullOrEmpty(explicitPath)) return File.Exists(explicitPath) ? explicitPath : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "ptxas");
            if (File.Exists(candidate)) return candidate;
        }
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var cached = Path.Combine(home, ".cache", "reel", "cuda", "usr", "bin", "ptxas");
        return File.Exists(cached) ? cached : null;
    }

    /// <summary>One report per kernel and architecture, in file order; <paramref name="ptxas"/> null: compiled by NVRTC only, no resource figures.</summary>
    public static IReadOnlyList<KernelReport> Run(IReadOnlyList<int> architectures, string? ptxas)
    {
        var reports = new List<KernelReport>();
        foreach (var file in KernelSources.KernelFiles)
        foreach (var arch in architectures)
        {
            var kernels = KernelSources.Kernels.Where(k => k.File == file).ToArray();
            var result = NvrtcCompiler.Compile(file, arch);
            if (!result.Compiled)
            {
                reports.AddRange(kernels.Select(k => new KernelReport(k.Name, file, arch, false, null, null, null, FirstLine(result.Log))));
                continue;
            }
            if (ptxas is null)
            {
                reports.AddRange(kernels.Select(k => new KernelReport(k.Name, file, arch, true, null, null, null, null)));
                continue;
            }
            var (ok, output) = Assemble(ptxas, result.Ptx, arch);
            var usage = ok ? ParsePtxasReport(output) : new Dictionary<string, (int, int, int)>();
            foreach (var k in kernels)
                reports.Add(usage.TryGetValue(k.Name, out var u)
                    ? new KernelReport(k.Name, file, arch, true, u.Item1, u.Item2, u.Item3, null)
                    : new KernelReport(k.Name, file, arch, false, null, null, null, ok ? "ptxas did not report this kernel" : FirstLine(output)));
        }
        return reports;
    }

    private static (bool Ok, string Output) Assemble(string ptxas, string ptx, int arch)
    {
        var dir = Path.Combine(Path.GetTempPath(), "reel-ptxas-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var input = Path.Combine(dir, "kernel.ptx");
            File.WriteAllText(input, ptx);
            var psi = new ProcessStartInfo(ptxas) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "-v", "--gpu-name", $"sm_{arch}", "-o", Path.Combine(dir, "kernel.cubin"), input }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi) ?? throw new ReelException($"could not start {ptxas}");
            var stderr = p.StandardError.ReadToEndAsync();
            var stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode == 0, stdout + stderr.Result);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>ptxas -v output → kernel name → (registers, spill store + load bytes, static shared bytes).</summary>
    internal static Dictionary<string, (int Registers, int SpillBytes, int SharedBytes)> ParsePtxasReport(string output)
    {
        var result = new Dictionary<string, (int, int, int)>();
        string? current = null;
        int spill = 0;
        foreach (var line in output.Split('\n'))
        {
            var entry = EntryLine().Match(line);
            if (entry.Success)
            {
                current = entry.Groups[1].Value;
                spill = 0;
                continue;
            }
            var s = SpillLine().Match(line);
            if (s.Success && current is not null)
            {
                spill = int.Parse(s.Groups[1].Value, CultureInfo.InvariantCulture) + int.Parse(s.Groups[2].Value, CultureInfo.InvariantCulture);
                continue;
            }
            var used = UsedLine().Match(line);
            if (used.Success && current is not null)
            {
                int smem = used.Groups[2].Success ? int.Parse(used.Groups[2].Value, CultureInfo.InvariantCulture) : 0;
                result[current] = (int.Parse(used.Groups[1].Value, CultureInfo.InvariantCulture), spill, smem);
                current = null;
            }
        }
        return result;
    }

    private static string FirstLine(string text) => text.Split('\n').FirstOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "failed";

    [GeneratedRegex(@"Compiling entry function '(\w+)'")]
    private static partial Regex EntryLine();

    [GeneratedRegex(@"(\d+) bytes spill stores, (\d+) bytes spill loads")]
    private static partial Regex SpillLine();

    [GeneratedRegex(@"Used (\d+) registers(?:, (\d+) bytes smem)?")]
    private static partial Regex UsedLine();
}
