using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Reel.Engine;
using Reel.Engine.Backends.Cuda;

namespace Reel.Cli.Commands;

/// <summary>
/// `reel kernels check [--json] [--arch 80,90]`: compiles every CUDA kernel with NVRTC for each
/// architecture and, when ptxas is found, assembles it and reports registers and spills. No
/// GPU is used. Exit 1 when a kernel fails to compile or spills registers.
/// </summary>
public static class KernelsCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON array: name, file, arch, registers, spill_bytes, shared_bytes, compiled, error" };
        var arch = new Option<string>("--arch") { Description = "Comma-separated compute capabilities", DefaultValueFactory = _ => "80,90" };
        var check = new Command("check", "Compile every CUDA kernel with NVRTC (and ptxas when found) for each architecture; no GPU needed") { json, arch };
        check.SetAction((r, cancel) => Task.FromResult(CliRunner.Run(() => Check(r.GetValue(json), r.GetValue(arch)!))));
        var librariesJson = new Option<bool>("--json") { Description = "Print one JSON object: libraries (name, found, detail) and symbols (library, symbol, exported: null where the library was not found)" };
        var libraries = new Command("libraries", "Where each CUDA library (driver, NVRTC, cuDNN, and the cuBLASLt cuDNN opens) was found, or every place tried, and whether it exports every function Reel binds") { librariesJson };
        libraries.SetAction((r, cancel) => Task.FromResult(CliRunner.Run(() => Libraries(r.GetValue(librariesJson)))));
        return new Command("kernels", "The hand-written CUDA kernels and the libraries around them") { check, libraries };
    }

    private static int Check(bool json, string archList)
    {
        var archs = archList.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(a => int.TryParse(a.Replace("sm_", ""), NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= 50
                ? v : throw new UsageException($"--arch: '{a}' is not a compute capability such as 80 or 90"))
            // 90,90 compiled and listed every kernel twice.
            .Distinct().ToArray();
        if (archs.Length == 0) throw new UsageException($"--arch: '{archList}' names no compute capability; give some, such as 80,90");
        if (!NvrtcCompiler.IsAvailable(out var reason)) throw new ReelException(reason);
        // NVRTC itself only says "invalid option" for an architecture it does not know.
        var supported = NvrtcCompiler.SupportedArchitectures();
        if (archs.FirstOrDefault(a => !supported.Contains(a)) is int unknown and > 0)
            throw new ReelException($"NVRTC {NvrtcCompiler.Version()} here does not compile for sm_{unknown}: it knows {string.Join(", ", supported)}; a newer NVRTC (CUDA toolkit) does");
        var ptxas = KernelCheck.FindPtxas();
        var reports = KernelCheck.Run(archs, ptxas);
        var rows = reports.OrderBy(k => k.File, StringComparer.Ordinal).ThenBy(k => k.Name, StringComparer.Ordinal).ThenBy(k => k.Arch)
            .Select(k => new KernelRow(k.Name, k.File, $"sm_{k.Arch}", k.Registers, k.SpillBytes, k.SharedBytes, k.Compiled, k.Error)).ToArray();
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(rows, CliJson.Output.KernelRowArray));
        }
        else
        {
            Console.WriteLine($"NVRTC {NvrtcCompiler.Version()}; ptxas: {ptxas ?? "not found (registers and spills not measured; set REEL_PTXAS or put ptxas on PATH)"}");
            Console.WriteLine($"{"kernel",-30} {"file",-22} {"arch",-6} {"regs",5} {"spill",6} {"smem",6}  status");
            foreach (var r in rows)
                Console.WriteLine($"{r.Name,-30} {r.File,-22} {r.Arch,-6} {Show(r.Registers),5} {Show(r.SpillBytes),6} {Show(r.SharedBytes),6}  {(r.Compiled ? "ok" : "FAILED: " + r.Error)}");
        }
        int failed = rows.Count(r => !r.Compiled), spilled = rows.Count(r => r.SpillBytes > 0);
        if (failed + spilled > 0)
        {
            Console.Error.WriteLine($"reel: error: {failed} kernel builds failed and {spilled} spill registers");
            return CliRunner.UserError;
        }
        if (!json) Console.Error.WriteLine($"{rows.Length / archs.Length} kernels compiled for {string.Join(", ", archs.Select(a => $"sm_{a}"))}{(ptxas is null ? "" : ", no spills")}");
        return 0;
    }

    /// <summary>Exit 1 when a library that loaded lacks a bound function; a library not found is reported, not an error.</summary>
    private static int Libraries(bool json)
    {
        var libraries = CudaLibraries.Describe();
        var symbols = CudaLibraries.BoundSymbols();
        var loaded = libraries.Where(l => l.Found).Select(l => l.Library).ToHashSet();
        if (json)
        {
            // A function of a library not found was never looked for: null, not false (missing from a library that loaded).
            Console.WriteLine(JsonSerializer.Serialize(new LibrariesReport(
                libraries.Select(l => new LibraryRow(l.Library, l.Found, l.Detail)).ToArray(),
                symbols.Select(s => new SymbolRow(s.Library, s.Symbol, loaded.Contains(s.Library) ? s.Exported : null)).ToArray()), CliJson.Output.LibrariesReport));
        }
        else
        {
            foreach (var (name, found, detail) in libraries) Console.WriteLine($"{name,-8} {(found ? "found: " : "missing: ")}{detail}");
            foreach (var group in symbols.GroupBy(s => s.Library))
                Console.WriteLine(loaded.Contains(group.Key)
                    ? $"{group.Key,-8} {group.Count(s => s.Exported)}/{group.Count()} bound functions exported" + string.Concat(group.Where(s => !s.Exported).Select(s => $"; missing {s.Symbol}"))
                    : $"{group.Key,-8} {group.Count()} bound functions, not checked (library not found)");
        }
        return symbols.Any(s => loaded.Contains(s.Library) && !s.Exported) ? CliRunner.UserError : 0;
    }

    private static string Show(int? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "-";
}
