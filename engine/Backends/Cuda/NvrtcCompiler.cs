using System.Runtime.InteropServices;
using System.Text;
using Reel.Engine.Backends.Cuda.Native;

namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// Compiles kernels/*.cu to PTX with NVRTC for a given compute capability (80, 86, 90…).
/// No GPU is needed; only libnvrtc (and its builtins library). IEEE division and square
/// root are kept (no --use_fast_math): the kernels ask for fast intrinsics where they want them.
/// </summary>
// SAFETY: the raw accesses are Compile's string tables and the PTX and log buffers, each bounded where it is made.
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

    /// <summary>kernels/<paramref name="file"/> to PTX for compute_<paramref name="arch"/>; a compile error is a result with its log, not an exception.</summary>
    internal static CompileResult Compile(string file, int arch)
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
                string[] options = { $"--gpu-architecture=compute_{arch}", "--std=c++17", "-default-device", "-lineinfo" };
                // SAFETY: one entry per option, and NVRTC reads options.Length of them.
                var opts = stackalloc byte*[options.Length];
                for (int i = 0; i < options.Length; i++) opts[i] = Utf8(options[i]);
                int status = Nvrtc.nvrtcCompileProgram(program, options.Length, opts);
                var log = ProgramLog(program);
                if (status == Nvrtc.NVRTC_ERROR_COMPILATION) return new CompileResult(file, arch, false, "", log);
                Nvrtc.Check(status, "nvrtcCompileProgram");
                Nvrtc.Check(Nvrtc.nvrtcGetPTXSize(program, out var size));
                var ptx = new byte[(int)size];
                // SAFETY: NVRTC writes exactly the size it reported (terminating NUL included) into an array of that size.
                fixed (byte* p = ptx) Nvrtc.Check(Nvrtc.nvrtcGetPTX(program, p));
                return new CompileResult(file, arch, true, Encoding.UTF8.GetString(ptx).TrimEnd('\0'), log);
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
