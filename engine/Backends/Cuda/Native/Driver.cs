using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Reel.Engine.Backends.Cuda.Native;

/// <summary>
/// The CUDA driver API calls Reel makes (cuda.h, CUDA 11.4+ / 12). Only what the host code
/// uses; names and argument order as in the header so a later swap to ManagedCuda stays easy.
/// CUdeviceptr is a 64-bit integer; every other CU* handle is a pointer.
/// </summary>
// SAFETY: declarations of the driver's entry points; every pointer passed is sized by its caller for what the
// header says the call reads or writes, and each call site states that bound.
internal static unsafe partial class Driver
{
    static Driver() => NativeLibraries.EnsureResolver();

    public const int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    public const int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    public const int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    public const int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8;
    public const uint CU_STREAM_NON_BLOCKING = 1;
    public const uint CU_EVENT_DISABLE_TIMING = 2;
    public const int CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1;
    public const int CUDA_ERROR_NO_DEVICE = 100;
    public const int CUDA_ERROR_OUT_OF_MEMORY = 2;

    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuInit(uint flags);
    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuDriverGetVersion(out int version);
    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuDeviceGetCount(out int count);
    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuDeviceGet(out int device, int ordinal);
    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuDeviceGetAttribute(out int value, int attribute, int device);
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuDeviceTotalMem_v2")] public static partial int cuDeviceTotalMem(out nuint bytes, int device);
    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuDevicePrimaryCtxRetain(out nint context, int device);
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuDevicePrimaryCtxRelease_v2")] public static partial int cuDevicePrimaryCtxRelease(int device);
    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuCtxSetCurrent(nint context);
    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuCtxSynchronize();
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuMemGetInfo_v2")] public static partial int cuMemGetInfo(out nuint free, out nuint total);

    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuModuleLoadData(out nint module, byte* image);
    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuModuleUnload(nint module);
    [LibraryImport(NativeLibraries.Cuda, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int cuModuleGetFunction(out nint function, nint module, string name);
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuLaunchKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedBytes, nint stream, void** kernelParams, void** extra);

    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuMemAlloc_v2")] public static partial int cuMemAlloc(out ulong devicePtr, nuint bytes);
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuMemFree_v2")] public static partial int cuMemFree(ulong devicePtr);
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuMemAllocHost_v2")] public static partial int cuMemAllocHost(out nint hostPtr, nuint bytes);
    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuMemFreeHost(nint hostPtr);
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuMemcpyHtoDAsync_v2")] public static partial int cuMemcpyHtoDAsync(ulong dst, void* src, nuint bytes, nint stream);
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuMemcpyDtoHAsync_v2")] public static partial int cuMemcpyDtoHAsync(void* dst, ulong src, nuint bytes, nint stream);
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuMemcpyDtoDAsync_v2")] public static partial int cuMemcpyDtoDAsync(ulong dst, ulong src, nuint bytes, nint stream);
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuMemsetD8Async")] public static partial int cuMemsetD8Async(ulong dst, byte value, nuint count, nint stream);

    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuStreamCreate(out nint stream, uint flags);
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuStreamDestroy_v2")] public static partial int cuStreamDestroy(nint stream);
    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuStreamSynchronize(nint stream);
    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuStreamWaitEvent(nint stream, nint evt, uint flags);
    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuEventCreate(out nint evt, uint flags);
    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuEventDestroy_v2")] public static partial int cuEventDestroy(nint evt);
    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuEventRecord(nint evt, nint stream);
    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuEventSynchronize(nint evt);
    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuEventElapsedTime(out float milliseconds, nint start, nint end);

    [LibraryImport(NativeLibraries.Cuda, EntryPoint = "cuStreamBeginCapture_v2")] public static partial int cuStreamBeginCapture(nint stream, int mode);
    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuStreamEndCapture(nint stream, out nint graph);
    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuGraphInstantiateWithFlags(out nint graphExec, nint graph, ulong flags);
    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuGraphLaunch(nint graphExec, nint stream);
    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuGraphExecDestroy(nint graphExec);
    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuGraphDestroy(nint graph);

    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuGetErrorString(int status, out byte* text);
    [LibraryImport(NativeLibraries.Cuda)] public static partial int cuGetErrorName(int status, out byte* text);

    /// <summary>The one status check for driver calls: names the call and carries the driver's message.</summary>
    public static void Check(int status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status == 0) return;
        throw new CudaException(CallName(call), status, Message(status));
    }

    public static string Message(int status)
    {
        try
        {
            // SAFETY: the driver points name and text at static NUL-terminated strings it owns, or leaves them NULL (checked).
            byte* name = null, text = null;
            cuGetErrorName(status, out name);
            cuGetErrorString(status, out text);
            var n = name == null ? "CUDA_ERROR" : Marshal.PtrToStringUTF8((nint)name);
            return text == null ? $"{n}" : $"{n}: {Marshal.PtrToStringUTF8((nint)text)}";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return "CUDA error";
        }
    }

    /// <summary>"Driver.cuMemAlloc(out p, n)" → "cuMemAlloc": the expression's function name.</summary>
    internal static string CallName(string expression)
    {
        int paren = expression.IndexOf('(');
        var head = paren < 0 ? expression : expression[..paren];
        int dot = head.LastIndexOf('.');
        return dot < 0 ? head.Trim() : head[(dot + 1)..].Trim();
    }
}
