using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Reel.Engine.Backends.Cuda.Native;

/// <summary>NVRTC (nvrtc.h): CUDA C++ → PTX or machine code (CUBIN) at run time, no GPU needed. 11.2+ ABI.</summary>
// SAFETY: declarations of NVRTC's entry points; every pointer passed is sized by its caller for what the
// header says the call reads or writes, and each call site states that bound.
internal static unsafe partial class Nvrtc
{
    static Nvrtc() => NativeLibraries.EnsureResolver();

    [LibraryImport(NativeLibraries.Nvrtc)] public static partial int nvrtcVersion(out int major, out int minor);
    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial int nvrtcCreateProgram(out nint program, byte* source, byte* name, int headerCount, byte** headers, byte** includeNames);
    [LibraryImport(NativeLibraries.Nvrtc)] public static partial int nvrtcDestroyProgram(ref nint program);
    [LibraryImport(NativeLibraries.Nvrtc)] public static partial int nvrtcCompileProgram(nint program, int optionCount, byte** options);
    [LibraryImport(NativeLibraries.Nvrtc)] public static partial int nvrtcGetProgramLogSize(nint program, out nuint size);
    [LibraryImport(NativeLibraries.Nvrtc)] public static partial int nvrtcGetProgramLog(nint program, byte* log);
    [LibraryImport(NativeLibraries.Nvrtc)] public static partial int nvrtcGetPTXSize(nint program, out nuint size);
    [LibraryImport(NativeLibraries.Nvrtc)] public static partial int nvrtcGetPTX(nint program, byte* ptx);
    [LibraryImport(NativeLibraries.Nvrtc)] public static partial int nvrtcGetCUBINSize(nint program, out nuint size);
    [LibraryImport(NativeLibraries.Nvrtc)] public static partial int nvrtcGetCUBIN(nint program, byte* cubin);
    [LibraryImport(NativeLibraries.Nvrtc)] public static partial int nvrtcGetNumSupportedArchs(out int count);
    [LibraryImport(NativeLibraries.Nvrtc)] public static partial int nvrtcGetSupportedArchs(int* archs);
    [LibraryImport(NativeLibraries.Nvrtc)] public static partial byte* nvrtcGetErrorString(int status);

    public const int NVRTC_ERROR_COMPILATION = 6;

    public static void Check(int status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        // SAFETY: NVRTC returns a static NUL-terminated string (or NULL, read as null) that the library owns.
        if (status != 0)
            throw new CudaException(Driver.CallName(call), status, Marshal.PtrToStringUTF8((nint)nvrtcGetErrorString(status)) ?? "NVRTC error");
    }
}
