using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Reel.Engine.Backends.Cuda.Native;

namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// A real GPU through the CUDA driver API: the device's primary context, kernels compiled by
/// NVRTC for its compute capability (or nvcc's PTX from REEL_PTX_DIR) and cached on disk under
/// ~/.cache/reel/kernels, loaded once per file. Not run on the machines this was written on
/// (they have no GPU); see docs/cuda.md.
/// </summary>
// SAFETY: host pointers given to the copies are the caller's, sized by the byte count passed with them (IGpuDevice's contract);
// the class's own raw accesses say their bounds where they are.
internal sealed unsafe class DriverDevice : IGpuDevice
{
    private readonly int _device;
    private readonly nint _context;
    /// <summary>Each kernel file's module, loaded once (Lazy: two threads asking at once load it once, and a failed load stays failed).</summary>
    private readonly ConcurrentDictionary<string, Lazy<NativeHandle>> _modules = new();
    private readonly ConcurrentDictionary<string, nint> _functions = new();
    /// <summary>Whether the calling thread is capturing on this device (captures are thread-local).</summary>
    private readonly ThreadLocal<bool> _capturing = new();
    private int _disposed;

    private DriverDevice(int ordinal)
    {
        Driver.Check(Driver.cuDeviceGet(out _device, ordinal));
        Driver.Check(Driver.cuDevicePrimaryCtxRetain(out _context, _device));
        MakeCurrent();
        Driver.Check(Driver.cuDeviceGetAttribute(out int major, Driver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, _device));
        Driver.Check(Driver.cuDeviceGetAttribute(out int minor, Driver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, _device));
        Driver.Check(Driver.cuDeviceGetAttribute(out int sms, Driver.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, _device));
        Driver.Check(Driver.cuDeviceTotalMem(out var total, _device));
        // SAFETY: cuDeviceGetName writes at most the 256 bytes it is told, NUL included, so the string read back ends inside the buffer.
        var name = stackalloc byte[256];
        Driver.Check(Driver.cuDeviceGetName(name, 256, _device));
        ComputeCapability = major * 10 + minor;
        MultiprocessorCount = sms;
        TotalMemoryBytes = (long)total;
        Description = $"{new string((sbyte*)name)} (sm_{ComputeCapability}, {sms} SMs, {total / (double)(1 << 30):F1} GiB)";
    }

    public string Description { get; }
    public int ComputeCapability { get; }
    public int MultiprocessorCount { get; }
    public long TotalMemoryBytes { get; }

    /// <inheritdoc/>
    public long FreeMemoryBytes
    {
        get
        {
            MakeCurrent();
            Driver.Check(Driver.cuMemGetInfo(out var free, out _));
            return (long)free;
        }
    }

    /// <summary>
    /// Whether a CUDA GPU can be used here, and if not the one-line reason (no driver library,
    /// cuInit failure, no device). Never throws.
    /// </summary>
    public static bool Probe(out string reason)
    {
        try
        {
            if (!NativeLibraries.TryLoad(NativeLibraries.Cuda, out _, out var error))
            {
                reason = $"no NVIDIA driver: {error}";
                return false;
            }
            int status = Driver.cuInit(0);
            if (status != 0)
            {
                reason = $"cuInit failed: {Driver.Message(status)}";
                return false;
            }
            Driver.Check(Driver.cuDeviceGetCount(out int count));
            if (count == 0)
            {
                reason = "the NVIDIA driver reports no CUDA device";
                return false;
            }
            Driver.Check(Driver.cuDriverGetVersion(out int version));
            if (version < 11040)
            {
                reason = $"the NVIDIA driver supports CUDA {version / 1000}.{version % 1000 / 10}; Reel needs 11.4 or newer";
                return false;
            }
            reason = "";
            return true;
        }
        catch (Exception e) when (e is CudaException or DllNotFoundException or EntryPointNotFoundException)
        {
            reason = e.Message;
            return false;
        }
    }

    /// <summary>Opens GPU <paramref name="ordinal"/>, or throws a <see cref="CudaException"/>/<see cref="ReelException"/> that says why not.</summary>
    public static DriverDevice Open(int ordinal = 0)
    {
        if (!Probe(out var reason)) throw new ReelException($"no usable CUDA GPU: {reason}; use --device cpu");
        return new DriverDevice(ordinal);
    }

    public DeviceBuffer Allocate(long bytes)
    {
        MakeCurrent();
        Driver.Check(Driver.cuMemAlloc(out var p, (nuint)Math.Max(bytes, 1)));
        // The release may run on the finalizer thread, where no context is current.
        return new DeviceBuffer(p, bytes, address =>
        {
            Driver.cuCtxSetCurrent(_context);
            Driver.cuMemFree(address);
        });
    }

    public PinnedBuffer AllocatePinned(long bytes)
    {
        MakeCurrent();
        Driver.Check(Driver.cuMemAllocHost(out var p, (nuint)Math.Max(bytes, 1)));
        return new PinnedBuffer(p, bytes, address =>
        {
            Driver.cuCtxSetCurrent(_context);
            Driver.cuMemFreeHost(address);
        });
    }

    public void CopyToDevice(DevicePtr dst, void* src, long bytes, GpuStream? stream = null)
    {
        MakeCurrent();
        Driver.Check(Driver.cuMemcpyHtoDAsync(dst.Address, src, (nuint)bytes, StreamOf(stream)));
        if (stream is null) Synchronize();
    }

    public void CopyToHost(void* dst, DevicePtr src, long bytes, GpuStream? stream = null)
    {
        MakeCurrent();
        Driver.Check(Driver.cuMemcpyDtoHAsync(dst, src.Address, (nuint)bytes, StreamOf(stream)));
        if (stream is null) Synchronize();
    }

    public void CopyDeviceToDevice(DevicePtr dst, DevicePtr src, long bytes, GpuStream? stream = null)
    {
        MakeCurrent();
        Driver.Check(Driver.cuMemcpyDtoDAsync(dst.Address, src.Address, (nuint)bytes, StreamOf(stream)));
    }

    public void Fill(DevicePtr dst, byte value, long bytes, GpuStream? stream = null)
    {
        MakeCurrent();
        Driver.Check(Driver.cuMemsetD8Async(dst.Address, value, (nuint)bytes, StreamOf(stream)));
    }

    public void Launch(string name, LaunchGeometry g, KernelArgs args, GpuStream? stream = null)
    {
        if (g.IsEmpty) return;
        MakeCurrent();
        var function = Function(name);
        // SAFETY: p is KernelArgs' kernelParams array, valid during the call; its count matches the kernel's
        // declared parameters (checked against the source by the emulated device in every test launch).
        args.WithParams(p => Driver.Check(Driver.cuLaunchKernel(function, g.Grid.X, g.Grid.Y, g.Grid.Z, g.Block.X, g.Block.Y, g.Block.Z,
            g.SharedBytes, StreamOf(stream), (void**)p, null), $"cuLaunchKernel {name}"));
    }

    public GpuStream CreateStream()
    {
        MakeCurrent();
        Driver.Check(Driver.cuStreamCreate(out var s, Driver.CU_STREAM_NON_BLOCKING));
        return new GpuStream(s, h => Driver.cuStreamDestroy(h));
    }

    public GpuEvent CreateEvent()
    {
        MakeCurrent();
        Driver.Check(Driver.cuEventCreate(out var e, Driver.CU_EVENT_DISABLE_TIMING));
        return new GpuEvent(e, h => Driver.cuEventDestroy(h));
    }

    public GpuEvent CreateTimingEvent()
    {
        MakeCurrent();
        Driver.Check(Driver.cuEventCreate(out var e, 0));
        return new GpuEvent(e, h => Driver.cuEventDestroy(h));
    }

    public float ElapsedMs(GpuEvent start, GpuEvent end)
    {
        MakeCurrent();
        Driver.Check(Driver.cuEventElapsedTime(out float ms, start.Handle, end.Handle));
        return ms;
    }

    // The event calls make the context current too, as every other call here does: a thread whose first
    // device call is one of them (a read waited for on another thread) would otherwise have none.
    public void Record(GpuEvent e, GpuStream stream)
    {
        MakeCurrent();
        Driver.Check(Driver.cuEventRecord(e.Handle, stream.Handle));
    }

    public void Wait(GpuStream stream, GpuEvent e)
    {
        MakeCurrent();
        Driver.Check(Driver.cuStreamWaitEvent(stream.Handle, e.Handle, 0));
    }

    public void WaitHost(GpuEvent e)
    {
        MakeCurrent();
        Driver.Check(Driver.cuEventSynchronize(e.Handle));
    }

    public bool IsCapturing => _capturing.Value;

    public GpuGraph Capture(GpuStream stream, Action body)
    {
        MakeCurrent();
        Driver.Check(Driver.cuStreamBeginCapture(stream.Handle, Driver.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL));
        _capturing.Value = true;
        try
        {
            body();
        }
        catch
        {
            // The body's error is the one to report: ending the capture it broke fails too
            // (CUDA_ERROR_STREAM_CAPTURE_INVALIDATED), and that error would hide the call that broke it.
            _capturing.Value = false;
            if (Driver.cuStreamEndCapture(stream.Handle, out var broken) == 0 && broken != 0) Driver.cuGraphDestroy(broken);
            throw;
        }
        _capturing.Value = false;
        Driver.Check(Driver.cuStreamEndCapture(stream.Handle, out var graph));
        try
        {
            Driver.Check(Driver.cuGraphInstantiateWithFlags(out var exec, graph, 0));
            return new GpuGraph(exec, h => Driver.cuGraphExecDestroy(h));
        }
        finally
        {
            Driver.cuGraphDestroy(graph);
        }
    }

    public void Replay(GpuGraph graph, GpuStream stream)
    {
        MakeCurrent();
        Driver.Check(Driver.cuGraphLaunch(graph.Handle, stream.Handle));
    }

    public void Synchronize(GpuStream? stream = null)
    {
        MakeCurrent();
        if (stream is null) Driver.Check(Driver.cuCtxSynchronize());
        else Driver.Check(Driver.cuStreamSynchronize(stream.Handle));
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        MakeCurrent();
        foreach (var m in _modules.Values.Where(m => m.IsValueCreated && !m.Value.IsInvalid)) m.Value.Dispose();
        _capturing.Dispose();
        Driver.cuDevicePrimaryCtxRelease(_device);
    }

    private void MakeCurrent() => Driver.Check(Driver.cuCtxSetCurrent(_context));

    private static nint StreamOf(GpuStream? s) => s?.Handle ?? 0;

    private nint Function(string name) => _functions.GetOrAdd(name, n =>
    {
        var file = KernelSources.Find(n).File;
        // NVRTC and cuModuleLoadData inside a capture would stall it or fail: a capture's kernels are loaded before it.
        if (_capturing.Value && !_modules.ContainsKey(file))
            throw new CudaException($"loading kernels/{file} for {n}", 900, "operation not permitted when stream is capturing: a kernel's module must be loaded before the capture begins");
        var module = _modules.GetOrAdd(file, f => new Lazy<NativeHandle>(() => LoadModule(f))).Value.Value;
        // With lazy loading (the default since CUDA 12.2) a kernel is loaded when cuModuleGetFunction asks for
        // it: every kernel of the file is asked for now, so none of them loads later inside a capture.
        nint wanted = 0;
        foreach (var kernel in KernelSources.Kernels.Where(k => k.File == file))
        {
            Driver.Check(Driver.cuModuleGetFunction(out var function, module, kernel.Name));
            if (kernel.Name == n) wanted = function;
            else _functions.TryAdd(kernel.Name, function);
        }
        return wanted != 0 ? wanted : throw new CudaException($"cuModuleGetFunction({n})", 500, $"kernels/{file} has no kernel {n}");
    });

    private NativeHandle LoadModule(string file)
    {
        var image = ModuleImage(file);
        nint module;
        // SAFETY: the driver reads a CUBIN to the end its ELF headers give and PTX to its NUL; the array holds either whole.
        fixed (byte* p = image) Driver.Check(Driver.cuModuleLoadData(out module, p));
        return new NativeHandle(module, Driver.cuModuleUnload, "CUmodule");
    }

    /// <summary>
    /// What cuModuleLoadData gets for kernels/<paramref name="file"/>: nvcc's PTX from REEL_PTX_DIR when present,
    /// else NVRTC's build for this GPU (<see cref="ModuleTarget"/>), cached on disk by content hash.
    /// </summary>
    private byte[] ModuleImage(string file)
    {
        var aheadOfTime = Environment.GetEnvironmentVariable("REEL_PTX_DIR");
        if (!string.IsNullOrEmpty(aheadOfTime))
        {
            var path = Path.Combine(aheadOfTime, Path.ChangeExtension(file, ".ptx"));
            if (File.Exists(path)) return NulTerminated(File.ReadAllText(path));
        }
        var (arch, machineCode) = ModuleTarget(ComputeCapability, NvrtcCompiler.SupportedArchitectures());
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"{NvrtcCompiler.Version()}|{arch}|{string.Join("|", KernelSources.Headers.Select(h => KernelSources.Files[h]))}|{KernelSources.Files[file]}")))[..24];
        var cacheDir = Environment.GetEnvironmentVariable("REEL_KERNEL_CACHE")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "reel", "kernels");
        var cached = Path.Combine(cacheDir, $"{Path.GetFileNameWithoutExtension(file)}-sm{arch}-{key}{(machineCode ? ".cubin" : ".ptx")}");
        if (File.Exists(cached))
        {
            var kept = File.ReadAllBytes(cached);
            // PTX cached before machine code was: written without the NUL the driver reads it up to.
            return machineCode || (kept.Length > 0 && kept[^1] == 0) ? kept : [.. kept, 0];
        }
        byte[] image;
        if (machineCode) image = NvrtcCompiler.CompileMachineCode(file, arch);
        else
        {
            var result = NvrtcCompiler.Compile(file, arch);
            if (!result.Compiled) throw new ReelException($"NVRTC could not compile kernels/{file} for compute_{arch}: {result.Log}");
            image = NulTerminated(result.Ptx);
        }
        Directory.CreateDirectory(cacheDir);
        var temp = cached + "." + Environment.ProcessId + ".tmp";
        File.WriteAllBytes(temp, image);
        File.Move(temp, cached, overwrite: true);
        return image;
    }

    /// <summary>
    /// What NVRTC builds for a GPU of compute capability <paramref name="capability"/>, given the architectures it
    /// <paramref name="supported"/>: the GPU's own machine code when NVRTC knows it, which loads without a JIT on any
    /// driver of the same CUDA major version (PTX from an NVRTC newer than the driver is refused, with
    /// CUDA_ERROR_UNSUPPORTED_PTX_VERSION); else, for a GPU newer than NVRTC, PTX for the newest architecture
    /// it knows, which the driver compiles forward. A GPU older than all of them is refused.
    /// </summary>
    internal static (int Arch, bool MachineCode) ModuleTarget(int capability, IReadOnlyList<int> supported)
    {
        if (supported.Contains(capability)) return (capability, true);
        var older = supported.Where(a => a < capability).ToArray();
        if (older.Length == 0)
            throw new ReelException($"this GPU is sm_{capability}, older than every architecture this NVRTC builds for " +
                                    $"(sm_{supported.Min()} to sm_{supported.Max()}): use the NVRTC of an older CUDA");
        return (older.Max(), false);
    }

    private static byte[] NulTerminated(string ptx) => Encoding.UTF8.GetBytes(ptx + "\0");
}
