using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Reel.Engine;
using Reel.Engine.Backends.Cuda;
using Reel.Engine.Backends.Cuda.Native;

namespace Reel.Emulation;

/// <summary>
/// A GPU emulated on the CPU for tests: device memory is host memory (so a device pointer is
/// a host address), streams run their work at once in order, a graph is the recorded list of
/// its operations, and kernels run through libreel_kernels_emu.so — the same kernels/*.cu
/// sources compiled with g++ against kernels/emu/cuda_emu.h (a fiber per CUDA thread).
/// Launch geometry is checked against CUDA's limits there, and every launch's arguments are
/// checked against the kernel's declared signature here. While a thread captures, what CUDA
/// refuses in a capture (or what would invalidate it) throws as the driver's error would: device
/// and pinned allocation and free, a synchronize, a copy to or from pageable host memory or one
/// with no stream, waiting on or timing an event, and a kernel whose module was not loaded before
/// the capture began (a module loads with its first launch, as the driver device's do). Only the
/// capturing stream's work is recorded, and an event recorded in a capture is the graph's. And what
/// orders work across streams is kept (<see cref="StreamOrder"/>): an operation that touches device or
/// page-locked memory another stream or the host used, with no event wait or synchronize between
/// them, throws.
/// </summary>
// SAFETY: device memory here is host memory from NativeMemory; a DevicePtr is its address, and every copy, fill and
// launch stays inside the buffers its caller sized (IGpuDevice's contract), as on a GPU, where the same bounds hold.
public sealed unsafe partial class EmulatedDevice : IGpuDevice
{
    /// <summary>The file CMake builds from kernels/emu/emu_library.cpp: every kernel behind one launch entry.</summary>
    public const string LibraryFileName = "libreel_kernels_emu.so";

    private readonly nint _library;
    private readonly delegate* unmanaged<byte*, uint, uint, uint, uint, uint, uint, void**, byte*, int, int> _launch;
    private readonly Dictionary<nint, long> _live = new();
    private long _liveBytes;
    /// <summary>Page-locked allocations by address, with their sizes: the host memory a capture may copy from and to.</summary>
    private readonly Dictionary<nint, long> _pinned = new();
    /// <summary>The kernel files (modules) a launch has loaded.</summary>
    private readonly HashSet<string> _loadedModules = new();
    /// <summary>The capture in progress on each thread (the driver's CU_STREAM_CAPTURE_MODE_THREAD_LOCAL): the capturing stream and the list of its operations.</summary>
    private readonly ThreadLocal<Recording?> _recording = new();

    /// <summary>The calling thread's capture: the stream it records, what it recorded, and the first call it refused, which invalidated it.</summary>
    private sealed class Recording(int stream)
    {
        public int Stream { get; } = stream;
        public List<Action> Ops { get; } = new();
        public string? InvalidatedBy { get; set; }
    }
    /// <summary>Events last recorded inside a capture, with that capture's operation list: a graph's own, which nothing outside it may wait for (CUDA_ERROR_CAPTURED_EVENT).</summary>
    private readonly ConditionalWeakTable<GpuEvent, List<Action>> _capturedEvents = new();
    /// <summary>The stream a graph is being replayed on, for its recorded operations' ordering; 0 outside a replay.</summary>
    [ThreadStatic] private static int _replayingOn;
    private readonly StreamOrder _order = new();
    private readonly ConditionalWeakTable<GpuEvent, Dictionary<int, int>> _eventClocks = new();
    private int _streams;

    /// <summary>Each timing event's host timestamp: work runs when enqueued here, so when a record is reached is when the work before it ended.</summary>
    private readonly ConditionalWeakTable<GpuEvent, StrongBox<long>> _stamps = new();

    private EmulatedDevice(string path)
    {
        _library = NativeLibrary.Load(path);
        // SAFETY: the library exports these two entries with exactly these C signatures (kernels/emu/emu_library.cpp);
        // the names are one static NUL-terminated string the library owns.
        _launch = (delegate* unmanaged<byte*, uint, uint, uint, uint, uint, uint, void**, byte*, int, int>)NativeLibrary.GetExport(_library, "reel_emu_launch");
        var names = (delegate* unmanaged<byte*>)NativeLibrary.GetExport(_library, "reel_emu_kernel_names");
        KernelNames = Marshal.PtrToStringUTF8((nint)names())!.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        LibraryPath = path;
    }

    /// <summary>Opens the emulation library at <paramref name="path"/>; a missing file is an error that names the path and how to build it.</summary>
    public static EmulatedDevice Open(string path)
    {
        if (!File.Exists(path))
            throw new ReelException($"the kernel emulation library {path} is missing: build it with 'cmake -S . -B build && cmake --build build' (./build.sh test does)");
        return new EmulatedDevice(path);
    }

    /// <summary>Where the emulation library was loaded from.</summary>
    public string LibraryPath { get; }

    /// <summary>The kernels the library can launch, as its table lists them (tests check it against kernels/*.cu).</summary>
    public IReadOnlyList<string> KernelNames { get; }
    /// <inheritdoc/>
    public string Description => "CPU emulation of the CUDA execution model (kernels/emu)";
    /// <inheritdoc/>
    public int ComputeCapability => 0;

    /// <summary>What the device says is free: 1 TiB unless a test sets less, to see what a full device does.</summary>
    public long FreeMemoryBytes { get; set; } = 1L << 40;

    /// <summary>How many launches ran (graphs replayed count their launches again).</summary>
    public int Launches => _launches;
    private int _launches;

    /// <summary>Buffers of this device that the finalizer freed because nobody disposed them (a leak, however it ended).</summary>
    public int FinalizedBuffers => _finalizedBuffers;
    private int _finalizedBuffers;

    /// <summary>Device allocations not yet freed: tests check that nothing leaks.</summary>
    public int LiveAllocations
    {
        get { lock (_live) return _live.Count; }
    }

    /// <summary>Bytes of the device allocations not yet freed (a test gives a full device its limit from them).</summary>
    public long LiveBytes
    {
        get { lock (_live) return _liveBytes; }
    }

    /// <summary>Device memory this device lends in all (null: as much as the host has), so a test can see what a full GPU does: cuMemAlloc's out-of-memory error beyond it.</summary>
    public long? MemoryLimitBytes { get; set; }

    /// <inheritdoc/>
    public DeviceBuffer Allocate(long bytes)
    {
        RefuseWhileCapturing("cuMemAlloc");
        lock (_live)
            if (_liveBytes + bytes > MemoryLimitBytes)
                throw new CudaException("cuMemAlloc", Driver.CUDA_ERROR_OUT_OF_MEMORY,
                    $"out of memory: {bytes} bytes asked for, {_liveBytes} of the emulated {MemoryLimitBytes} in use");
        // SAFETY: at least one byte, 256-aligned as cuMemAlloc's; freed once, by the buffer's release.
        var p = (nint)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), 256);
        lock (_live)
        {
            _live.Add(p, bytes);
            _liveBytes += bytes;
        }
        _order.Allocated(p, bytes);
        return new DeviceBuffer((ulong)p, bytes, address =>
        {
            RefuseWhileCapturing("cuMemFree");
            lock (_live)
                if (_live.Remove((nint)address, out var size))
                    _liveBytes -= size;
            _order.Freed((nint)address);
            NativeMemory.AlignedFree((void*)address);
        }, () => Interlocked.Increment(ref _finalizedBuffers));
    }

    /// <inheritdoc/>
    public PinnedBuffer AllocatePinned(long bytes)
    {
        RefuseWhileCapturing("cuMemAllocHost");
        // SAFETY: at least one byte; freed once, by the buffer's release.
        var address = (nint)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), 64);
        lock (_pinned) _pinned[address] = bytes;
        // Page-locked memory is ordered like device memory: copies in stream order read and write it, and
        // the host's own use of it (each view it takes) must come after the copies it waited for.
        _order.Allocated(address, bytes);
        return new PinnedBuffer(address, bytes, p =>
        {
            RefuseWhileCapturing("cuMemFreeHost");
            lock (_pinned) _pinned.Remove(p);
            _order.Freed(p);
            NativeMemory.AlignedFree((void*)p);
        }, p => _order.Run(StreamOrder.Host, "the host's use of page-locked memory", new[] { p }, new[] { p }));
    }

    /// <inheritdoc/>
    // SAFETY (the three copies): both sides hold `bytes` (the callers' contract); MemoryCopy checks bytes against the destination size passed.
    public void CopyToDevice(DevicePtr dst, void* src, long bytes, GpuStream? stream = null)
    {
        RefuseHostCopyWhileCapturing("cuMemcpyHtoDAsync", src, bytes, stream);
        Enqueue(stream, "a copy to the device", new[] { new DevicePtr((ulong)src) }, new[] { dst }, () => Buffer.MemoryCopy(src, (void*)dst.Address, bytes, bytes));
    }

    /// <inheritdoc/>
    public void CopyToHost(void* dst, DevicePtr src, long bytes, GpuStream? stream = null)
    {
        RefuseHostCopyWhileCapturing("cuMemcpyDtoHAsync", dst, bytes, stream);
        Enqueue(stream, "a copy to the host", new[] { src }, new[] { new DevicePtr((ulong)dst) }, () => Buffer.MemoryCopy((void*)src.Address, dst, bytes, bytes));
    }

    /// <inheritdoc/>
    public void CopyDeviceToDevice(DevicePtr dst, DevicePtr src, long bytes, GpuStream? stream = null) =>
        Enqueue(stream, "a device-to-device copy", new[] { src }, new[] { dst }, () => Buffer.MemoryCopy((void*)src.Address, (void*)dst.Address, bytes, bytes));

    /// <inheritdoc/>
    // SAFETY: dst holds `bytes` (the caller's contract); the span is exactly that long.
    public void Fill(DevicePtr dst, byte value, long bytes, GpuStream? stream = null) =>
        Enqueue(stream, "a fill", Array.Empty<DevicePtr>(), new[] { dst }, () => new Span<byte>((void*)dst.Address, checked((int)bytes)).Fill(value));

    /// <inheritdoc/>
    public void Launch(string name, LaunchGeometry g, KernelArgs args, GpuStream? stream = null)
    {
        if (g.IsEmpty) return;
        var kernel = KernelSources.Find(name);
        if (kernel.Signature != args.Signature)
            throw new ArgumentException($"{name} takes ({kernel.Signature}), the launch passed ({args.Signature})");
        lock (_loadedModules)
            if (!_loadedModules.Contains(kernel.File))
            {
                // Loading a module (NVRTC, cuModuleLoadData) inside a capture is not something a graph can hold.
                if (IsCapturing) throw CaptureError($"loading kernels/{kernel.File} for {name}", "a kernel's module must be loaded before the capture begins");
                _loadedModules.Add(kernel.File);
            }
        // Pointers the kernel declares const are read; the others may be written.
        var pointers = args.Values.Select((v, i) => (Address: new DevicePtr(v), ReadOnly: kernel.ReadOnly[i], Pointer: kernel.Parameters[i] == "ptr")).Where(a => a.Pointer).ToArray();
        Enqueue(stream, name, pointers.Where(a => a.ReadOnly).Select(a => a.Address).ToArray(), pointers.Where(a => !a.ReadOnly).Select(a => a.Address).ToArray(),
            () => Run(name, g, args));
    }

    /// <summary>A new stream; its handle is its number here (the ordering's name for it), from 1.</summary>
    public GpuStream CreateStream() => new(Interlocked.Increment(ref _streams), null);
    /// <inheritdoc/>
    public GpuEvent CreateEvent() => new(0, null);
    /// <inheritdoc/>
    public GpuEvent CreateTimingEvent()
    {
        var e = new GpuEvent(0, null);
        _stamps.Add(e, new StrongBox<long>());
        return e;
    }

    /// <inheritdoc/>
    public float ElapsedMs(GpuEvent start, GpuEvent end)
    {
        RefuseWhileCapturing("cuEventElapsedTime");
        return _stamps.TryGetValue(start, out var a) && _stamps.TryGetValue(end, out var b)
            ? (float)Stopwatch.GetElapsedTime(a.Value, b.Value).TotalMilliseconds
            : throw new ArgumentException("ElapsedMs takes two events from CreateTimingEvent");
    }

    /// <summary>
    /// Marks the point <paramref name="stream"/> has reached. Inside a capture of that stream the event
    /// becomes the graph's own (it orders the graph's work only and is stamped by no replay), and nothing
    /// outside the capture may wait for it until it is recorded again outside.
    /// </summary>
    public void Record(GpuEvent e, GpuStream stream)
    {
        if (CapturingOn(stream))
        {
            _capturedEvents.AddOrUpdate(e, _recording.Value!.Ops);
            return;
        }
        _capturedEvents.Remove(e);
        _eventClocks.AddOrUpdate(e, _order.Snapshot(Id(stream)));
        if (_stamps.TryGetValue(e, out var stamp)) stamp.Value = Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// Makes <paramref name="stream"/>'s later work wait for <paramref name="e"/>. A capturing stream may
    /// wait only for its own capture's events: one recorded outside would tie the graph to work outside it.
    /// </summary>
    public void Wait(GpuStream stream, GpuEvent e)
    {
        if (CapturingOn(stream))
        {
            // One stream is captured at a time here, so its own capture's event orders nothing more.
            if (_capturedEvents.TryGetValue(e, out var ops) && ops == _recording.Value!.Ops) return;
            _recording.Value!.InvalidatedBy ??= "cuStreamWaitEvent";
            throw new CudaException("cuStreamWaitEvent", CaptureIsolation, "the capturing stream waits for an event recorded outside its capture");
        }
        RefuseCapturedEvent(e, "cuStreamWaitEvent");
        if (_eventClocks.TryGetValue(e, out var clock)) _order.Join(Id(stream), clock);
    }

    /// <inheritdoc/>
    public void WaitHost(GpuEvent e)
    {
        RefuseWhileCapturing("cuEventSynchronize");
        RefuseCapturedEvent(e, "cuEventSynchronize");
        if (_eventClocks.TryGetValue(e, out var clock)) _order.Join(StreamOrder.Host, clock);
    }

    private void RefuseCapturedEvent(GpuEvent e, string call)
    {
        if (_capturedEvents.TryGetValue(e, out _))
            throw new CudaException(call, CapturedEvent, "the event was recorded inside a capture: it belongs to that graph");
    }

    /// <summary>Whether the calling thread is capturing <paramref name="stream"/>.</summary>
    private bool CapturingOn(GpuStream stream) => _recording.Value is { } capture && capture.Stream == (int)stream.Handle;

    /// <summary>
    /// Host work in stream order (cuLaunchHostFunc's role), reading and writing the device memory at
    /// <paramref name="reads"/> and <paramref name="writes"/>: recorded into a graph during capture.
    /// </summary>
    public void EnqueueHost(Action work, GpuStream? stream, DevicePtr[] reads, DevicePtr[] writes) => Enqueue(stream, "host work", reads, writes, work);

    /// <summary>How many operations <paramref name="stream"/> has been given (graphs' count once per replayed operation).</summary>
    public int Enqueued(GpuStream stream) => _order.Seen(Id(stream), Id(stream));

    /// <summary>
    /// How many of <paramref name="of"/>'s operations come before the next one of <paramref name="by"/>
    /// (the host when null: those it has waited for, through an event or a synchronize).
    /// </summary>
    public int Seen(GpuStream? by, GpuStream of) => _order.Seen(Id(of), Id(by));

    /// <inheritdoc/>
    /// <remarks>
    /// A call the capture refused invalidates it, as on a GPU: even when the body goes on (it caught the
    /// error), ending the capture fails with CUDA_ERROR_STREAM_CAPTURE_INVALIDATED and gives no graph.
    /// </remarks>
    public GpuGraph Capture(GpuStream stream, Action body)
    {
        if (IsCapturing) throw CaptureError("cuStreamBeginCapture", "this thread is capturing already");
        var recording = new Recording((int)stream.Handle);
        _recording.Value = recording;
        try
        {
            body();
        }
        finally
        {
            _recording.Value = null;
        }
        if (recording.InvalidatedBy is { } call)
            throw new CudaException("cuStreamEndCapture", CaptureInvalidated, $"the capture was invalidated by {call}, which it does not permit");
        return new GpuGraph(0, null, recording.Ops);
    }

    /// <summary>Whether the calling thread is capturing a graph.</summary>
    public bool IsCapturing => _recording.Value is not null;

    /// <inheritdoc/>
    public void Replay(GpuGraph graph, GpuStream stream)
    {
        RefuseWhileCapturing("cuGraphLaunch");
        // Every recorded operation runs on the stream the graph is launched on.
        _replayingOn = Id(stream);
        try
        {
            foreach (var op in graph.Recorded ?? throw new ArgumentException("not a graph captured on the emulator")) op();
        }
        finally
        {
            _replayingOn = 0;
        }
    }

    /// <inheritdoc/>
    public void Synchronize(GpuStream? stream = null)
    {
        RefuseWhileCapturing(stream is null ? "cuCtxSynchronize" : "cuStreamSynchronize");
        if (stream is null) _order.JoinAll();
        else _order.Join(StreamOrder.Host, _order.Snapshot(Id(stream)));
    }

    /// <summary>Nothing to free: the library stays loaded for the process, and buffers free themselves.</summary>
    public void Dispose() { }

    /// <summary>
    /// <paramref name="op"/> on <paramref name="stream"/> (the host's own, synchronous, when null), its
    /// accesses ordered first: recorded when the calling thread captures that stream, else run at once
    /// (work on another stream during a capture is not the graph's). Work with no stream during a capture
    /// would go to the legacy stream, which a capture does not permit.
    /// </summary>
    private void Enqueue(GpuStream? stream, string what, DevicePtr[] reads, DevicePtr[] writes, Action op)
    {
        void Run()
        {
            _order.Run(Id(stream), what, reads.Select(p => (nint)p.Address), writes.Select(p => (nint)p.Address));
            op();
        }
        if (_recording.Value is { } capture)
        {
            if (stream is null) throw CaptureError(what, "work with no stream goes to the legacy stream, which a capture does not permit");
            if (CapturingOn(stream))
            {
                capture.Ops.Add(Run);
                return;
            }
        }
        Run();
    }

    /// <summary>Who runs work given to <paramref name="stream"/>: inside a replay the graph's stream; a stream by its number; no stream, the host.</summary>
    private static int Id(GpuStream? stream) => _replayingOn != 0 ? _replayingOn : stream is null ? StreamOrder.Host : (int)stream.Handle;

    /// <summary>Throws what the driver answers to <paramref name="call"/> on a capturing thread (also for calls of cuDNN's that allocate, as its Find calls do).</summary>
    public void RefuseWhileCapturing(string call)
    {
        if (IsCapturing) throw CaptureError(call, "not permitted while the stream is capturing");
    }

    /// <summary>A capture can copy only page-locked host memory, in stream order: pageable memory or a synchronous copy ends it.</summary>
    private void RefuseHostCopyWhileCapturing(string call, void* host, long bytes, GpuStream? stream)
    {
        if (!IsCapturing) return;
        if (stream is null) throw CaptureError(call, "a copy with no stream synchronizes, which a capture does not permit");
        lock (_pinned)
            foreach (var (address, size) in _pinned)
                if ((nint)host >= address && (nint)host + (nint)bytes <= address + (nint)size) return;
        throw CaptureError(call, "the host side is pageable memory; a capture copies only page-locked (pinned) memory");
    }

    /// <summary>What the driver answers (CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED); the capture is invalidated by it.</summary>
    private CudaException CaptureError(string call, string why)
    {
        if (_recording.Value is { } capture) capture.InvalidatedBy ??= call;
        return new(call, CaptureUnsupported, $"operation not permitted when stream is capturing: {why}");
    }

    /// <summary>CUDA_ERROR_STREAM_CAPTURE_INVALIDATED: cuStreamEndCapture after a call the capture refused.</summary>
    public const int CaptureInvalidated = 901;

    /// <summary>CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED.</summary>
    public const int CaptureUnsupported = 900;

    /// <summary>CUDA_ERROR_STREAM_CAPTURE_ISOLATION: a capture would depend on work outside it.</summary>
    public const int CaptureIsolation = 905;

    /// <summary>CUDA_ERROR_CAPTURED_EVENT: an event recorded in a capture used outside it.</summary>
    public const int CapturedEvent = 907;

    private void Run(string name, LaunchGeometry g, KernelArgs args)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name + "\0");
        var error = new byte[512];
        int status = 0;
        // SAFETY: p is KernelArgs' kernelParams array, as long as the kernel's parameter list (Launch checked the signature);
        // the name is NUL-terminated and the library writes at most error.Length bytes, NUL included, into error.
        Debug.Assert(nameBytes[^1] == 0);
        args.WithParams(p =>
        {
            fixed (byte* n = nameBytes)
            fixed (byte* e = error)
                status = _launch(n, g.Grid.X, g.Grid.Y, g.Grid.Z, g.Block.X, g.Block.Y, g.Block.Z, (void**)p, e, error.Length);
        });
        Interlocked.Increment(ref _launches);
        if (status != 0)
            throw new InvalidOperationException($"emulated launch of {name} failed: {Encoding.UTF8.GetString(error).TrimEnd('\0')}");
    }

    /// <summary>The library next to the repository's build folder: REEL_KERNELS_EMU, else &lt;repo&gt;/build/libreel_kernels_emu.so.</summary>
    public static string DefaultLibraryPath(string repoRoot) =>
        Environment.GetEnvironmentVariable("REEL_KERNELS_EMU") is { Length: > 0 } p ? p : Path.Combine(repoRoot, "build", LibraryFileName);

    /// <summary>
    /// For a program run from a build tree (`reel … --device emu`): REEL_KERNELS_EMU, else the first
    /// build/libreel_kernels_emu.so in a folder above the program's own.
    /// </summary>
    public static string LocateLibrary()
    {
        if (Environment.GetEnvironmentVariable("REEL_KERNELS_EMU") is { Length: > 0 } p) return p;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "build", LibraryFileName);
            if (File.Exists(candidate)) return candidate;
        }
        throw new ReelException($"the kernel emulation library {LibraryFileName} was not found in a build folder above {AppContext.BaseDirectory}; " +
            "build it with 'cmake -S . -B build && cmake --build build' or name it in REEL_KERNELS_EMU");
    }
}
