using System.Runtime.InteropServices;
using System.Text;
using Reel.Engine.Backends.Cuda.Native;

namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// Compiles kernels/*.cu with NVRTC for a given compute capability (80, 86, 90…): to PTX, or to the
/// architecture's machine code.
/// No GPU is needed; only libnvrtc (and its builtins library). IEEE division and square
/// root are kept (no --use_fast_math): the kernels ask for fast intrinsics where they want them.
/// </summary>
// SAFETY: the raw accesses are Build's string tables and the PTX, CUBIN, architecture and log buffers, each bounded where it is made.
public static unsafe class NvrtcCompiler
{
    /// <summary>Whether NVRTC can be loaded, and if not why.</summary>
    public static bool IsAvailable(out string reason)
    {
        if (!NativeLibraries.TryLoad(NativeLibraries.Nvrtc, out _, out var error))
        {
            reason = error! + " — install NVRTC (Debian non-free: libnvrtc11.2 libnvrtc-builtins11.8; or the CUDA toolkit)";
            return false;
        }
        reason = "";
        return true;
    }

    /// <summary>NVRTC's version, "major.minor" (part of the on-disk kernel cache's key).</summary>
    public static string Version()
    {
        Nvrtc.Check(Nvrtc.nvrtcVersion(out int major, out int minor));
        return $"{major}.{minor}";
    }

    /// <summary>The architectures NVRTC compiles for (75, 80, 86, 89, 90, …), ascending.</summary>
    public static IReadOnlyList<int> SupportedArchitectures()
    {
        Nvrtc.Check(Nvrtc.nvrtcGetNumSupportedArchs(out int count));
        var archs = new int[count];
        // SAFETY: NVRTC writes the count it reported into an array of that length.
        fixed (int* p = archs) Nvrtc.Check(Nvrtc.nvrtcGetSupportedArchs(p));
        Array.Sort(archs);
        return archs;
    }

    /// <summary>kernels/<paramref name="file"/> to PTX for compute_<paramref name="arch"/>; a compile error is a result with its log, not an exception.</summary>
    internal static CompileResult Compile(string file, int arch)
    {
        var (ptx, log) = Build(file, $"compute_{arch}", program =>
        {
            Nvrtc.Check(Nvrtc.nvrtcGetPTXSize(program, out var size));
            var text = new byte[(int)size];
            // SAFETY: NVRTC writes exactly the size it reported (terminating NUL included) into an array of that size.
            fixed (byte* p = text) Nvrtc.Check(Nvrtc.nvrtcGetPTX(program, p));
            return text;
        });
        return new CompileResult(file, arch, ptx is not null, ptx is null ? "" : Encoding.UTF8.GetString(ptx).TrimEnd('\0'), log);
    }

    /// <summary>
    /// kernels/<paramref name="file"/> to machine code for sm_<paramref name="arch"/> (a CUBIN, an ELF image the
    /// driver loads as it is); a compile error throws with NVRTC's log.
    /// </summary>
    internal static byte[] CompileMachineCode(string file, int arch)
    {
        var (cubin, log) = Build(file, $"sm_{arch}", program =>
        {
            Nvrtc.Check(Nvrtc.nvrtcGetCUBINSize(program, out var size));
            var image = new byte[(int)size];
            // SAFETY: NVRTC writes exactly the size it reported into an array of that size.
            fixed (byte* p = image) Nvrtc.Check(Nvrtc.nvrtcGetCUBIN(program, p));
            return image;
        });
        return cubin ?? throw new ReelException($"NVRTC could not compile kernels/{file} for sm_{arch}: {log}");
    }

    /// <summary>
    /// Compiles kernels/<paramref name="file"/> for <paramref name="target"/> (compute_XX: PTX; sm_XX: machine code):
    /// what <paramref name="take"/> reads from the program, or null on a compile error, and NVRTC's log.
    /// </summary>
    private static (byte[]? Image, string Log) Build(string file, string target, Func<nint, byte[]> take)
    {
        if (!KernelSources.Files.TryGetValue(file, out var source)) throw new ArgumentException($"no kernel file {file}");
        var headers = KernelSources.Headers;
        var allocations = new List<nint>();
        byte* Utf8(string s)
        {
            var p = Marshal.StringToCoTaskMemUTF8(s);
            allocations.Add(p);
            return (byte*)p;
        }
        try
        {
            // SAFETY: both arrays have one entry per header (at least one, so they exist when there are none) and NVRTC
            // reads headers.Count of each; every string is a NUL-terminated copy freed only after the program is destroyed.
            var headerSources = stackalloc byte*[Math.Max(1, headers.Count)];
            var headerNames = stackalloc byte*[Math.Max(1, headers.Count)];
            for (int i = 0; i < headers.Count; i++)
            {
                headerSources[i] = Utf8(KernelSources.Files[headers[i]]);
                headerNames[i] = Utf8(headers[i]);
            }
            Nvrtc.Check(Nvrtc.nvrtcCreateProgram(out var program, Utf8(source), Utf8(file), headers.Count, headerSources, headerNames));
            try
            {
                string[] options = { $"--gpu-architecture={target}", "--std=c++17", "-default-device", "-lineinfo" };
                // SAFETY: one entry per option, and NVRTC reads options.Length of them.
                var opts = stackalloc byte*[options.Length];
                for (int i = 0; i < options.Length; i++) opts[i] = Utf8(options[i]);
                int status = Nvrtc.nvrtcCompileProgram(program, options.Length, opts);
                var log = ProgramLog(program);
                if (status == Nvrtc.NVRTC_ERROR_COMPILATION) return (null, log);
                Nvrtc.Check(status, "nvrtcCompileProgram");
                return (take(program), log);
            }
            finally
            {
                Nvrtc.nvrtcDestroyProgram(ref program);
            }
        }
        finally
        {
            foreach (var p in allocations) Marshal.FreeCoTaskMem(p);
        }
    }

    private static string ProgramLog(nint program)
    {
        Nvrtc.Check(Nvrtc.nvrtcGetProgramLogSize(program, out var size));
        var log = new byte[(int)size];
        // SAFETY: NVRTC writes exactly the size it reported (terminating NUL included) into an array of that size.
        fixed (byte* p = log) Nvrtc.Check(Nvrtc.nvrtcGetProgramLog(program, p));
        return Encoding.UTF8.GetString(log).TrimEnd('\0').Trim();
    }
}
