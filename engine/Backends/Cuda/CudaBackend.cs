using System.Diagnostics;
using Reel.Engine.Backends.Cuda.Native;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// The CUDA backend: tensors it computes live in device memory (<see cref="Import"/> puts a host
/// tensor there, <see cref="Tensor.ToHost"/> brings one back), every op of the op set runs on its
/// compute stream (hand-written kernels, and cuDNN — or, on the emulator, host convolutions — for
/// the convolutions and their gradients), and the host waits for the device only where it reads a
/// result (<see cref="ReadLater"/> waits for that result alone). Host tensors go up on a copy stream
/// of their own, so an upload overlaps the compute queued before it (<see cref="Import"/>). An op given
/// host tensors still runs on the device, staging them across and back; those copies are counted in
/// <see cref="StagedCopies"/>, which a device-resident pipeline keeps at 0.
/// Device memory is recycled through a pool (<see cref="DevicePool"/>), freed when the backend is
/// disposed; a prepared op frees what it uploaded when it is disposed. Repeated work
/// (<see cref="Repeat"/>) is captured into CUDA graphs and replayed (<see cref="GraphedWork"/>).
/// </summary>
public sealed class CudaBackend : IBackend, IDisposable
{
    /// <summary>Finite checks recorded before the host looks at their flags.</summary>
    internal const int CheckSlots = 256;

    [ThreadStatic] private static Workspace? _openScope;

    private readonly IConvolutionEngine _convolutions;
    private readonly FiniteChecks _checks;
    /// <summary>The checks of the graph being captured on this backend, which its finite checks go to; null when none is.</summary>
    private FiniteChecks? _capturingChecks;
    /// <summary>Captured graphs' checks replayed since the host last read them.</summary>
    private readonly List<FiniteChecks> _replayedChecks = new();
    private readonly HashSet<GraphedWork> _works = new();
    private int _stagedCopies, _transfers, _drainingReads;
    /// <summary>Uploads, beside the compute stream: a slot's page-locked buffer and the device buffer it lands in.</summary>
    private readonly GpuStream _copies;
    private readonly PinnedBuffer?[] _staging = new PinnedBuffer?[2];
    private readonly DeviceBuffer?[] _landing = new DeviceBuffer?[2];
    /// <summary>Per slot, recorded on the copy stream after its upload: the page-locked buffer is free again and the landing buffer full.</summary>
    private readonly GpuEvent[] _uploaded;
    /// <summary>Per slot, recorded on the compute stream after it copied the landing buffer out: the copy stream may fill it again.</summary>
    private readonly GpuEvent[] _landed;
    /// <summary>Timing events for marks, recycled (a profiled run makes two per op).</summary>
    private readonly Stack<GpuEvent> _freeTiming = new();
    private readonly List<GpuEvent> _timing = new();
    private int _nextStaging;
    /// <summary>Page-locked slots for <see cref="ReadLater"/>: free ones, and all of them (to free at the end).</summary>
    private readonly List<ReadSlot> _freeReads = new();
    private readonly List<ReadSlot> _reads = new();
    /// <summary>Reads given up before they were waited for, whose finite checks are still to be read (at the next wait).</summary>
    private readonly List<PendingDeviceRead> _owed = new();
    private bool _disposed;

    /// <summary>
    /// The backend on <paramref name="device"/>, which it owns and disposes; convolutions run on
    /// <paramref name="convolutions"/>, which it owns too. <paramref name="graphs"/> false runs repeated
    /// work eagerly, op by op, instead of capturing it (<see cref="UsesGraphs"/>).
    /// </summary>
    public CudaBackend(IGpuDevice device, IConvolutionEngine convolutions, bool graphs = true)
    {
        _graphs = graphs;
        Device = device;
        Kernels = new CudaKernels(device);
        _convolutions = convolutions;
        Stream = device.CreateStream();
        FlowKernels = new CudaFlowKernels(device, Stream);
        Pool = new DevicePool(device);
        _checks = new FiniteChecks(device, CheckSlots, Stream);
        _copies = device.CreateStream();
        _uploaded = new[] { device.CreateEvent(), device.CreateEvent() };
        _landed = new[] { device.CreateEvent(), device.CreateEvent() };
    }

    /// <summary>
    /// The GPU if one is usable here, with cuDNN, its convolutions in <paramref name="precision"/>
    /// (default: TF32 on sm_80 and newer, fp32 before); otherwise null and the one-line reason.
    /// </summary>
    public static CudaBackend? TryCreate(Precision? precision, out string reason)
    {
        if (!DriverDevice.Probe(out reason)) return null;
        if (!NvrtcCompiler.IsAvailable(out reason)) return null;
        if (!NativeLibraries.TryLoad(NativeLibraries.Cudnn, out _, out var cudnnError))
        {
            reason = $"cuDNN is not installed ({cudnnError}); install cuDNN 9";
            return null;
        }
        DriverDevice? device = null;
        try
        {
            // The switches first: a bad value is refused before anything is opened that would then need closing.
            bool measure = MeasuresAlgorithms(), graphs = UsesGraphs();
            device = DriverDevice.Open();
            var chosen = precision ?? (device.ComputeCapability >= 80 ? Precision.Tf32 : Precision.Fp32);
            return new CudaBackend(device, new CudnnConvolutions(device, new NativeCudnn(), chosen, measureAlgorithms: measure), graphs);
        }
        catch (Exception e) when (e is ReelException or DllNotFoundException or EntryPointNotFoundException)
        {
            device?.Dispose();
            reason = e.Message;
            return null;
        }
    }

    /// <summary>
    /// Whether cuDNN's algorithms are timed once per plan (the default) or taken from its heuristics:
    /// REEL_CUDNN_SEARCH=measured|heuristic. The heuristics are the way out if a GPU's search misbehaves
    /// (it allocates and runs every algorithm, FFT ones with gigabytes of workspace at 1080p).
    /// </summary>
    public static bool MeasuresAlgorithms() => Environment.GetEnvironmentVariable("REEL_CUDNN_SEARCH") switch
    {
        null or "" or "measured" => true,
        "heuristic" => false,
        var other => throw new ReelException($"REEL_CUDNN_SEARCH must be measured or heuristic, got '{other}'"),
    };

    /// <summary>
    /// Whether repeated work (a DnCNN or colorizer frame, a training step) is captured into CUDA graphs
    /// (the default) or run op by op: REEL_CUDA_GRAPHS=1|0. Off is the way out if a GPU's driver refuses
    /// something inside a capture that the emulated device allows; the results are the same.
    /// </summary>
    public static bool UsesGraphs() => GraphsFrom(Environment.GetEnvironmentVariable("REEL_CUDA_GRAPHS"));

    /// <summary><see cref="UsesGraphs"/> for the variable's value <paramref name="value"/> (null: unset).</summary>
    internal static bool GraphsFrom(string? value) => value switch
    {
        null or "" or "1" => true,
        "0" => false,
        var other => throw new ReelException($"REEL_CUDA_GRAPHS must be 1 or 0, got '{other}'"),
    };

    private readonly bool _graphs;

    /// <summary>The device the tensors live on and the kernels run on.</summary>
    public IGpuDevice Device { get; }

    /// <summary>The launchers of the hand-written kernels on <see cref="Device"/>.</summary>
    public CudaKernels Kernels { get; }

    /// <summary>The stream every op runs on, in order.</summary>
    public GpuStream Stream { get; }

    internal DevicePool Pool { get; }

    /// <summary>The stream host tensors go up on (<see cref="Upload"/>).</summary>
    internal GpuStream CopyStream => _copies;


    /// <summary>The temporal kernels (optical flow, warp, screened Poisson, distribution fusion) on <see cref="Stream"/>.</summary>
    internal CudaFlowKernels FlowKernels { get; }

    /// <summary>"cuda", or "cuda-emulated" on the emulated device (compute capability 0).</summary>
    public string Name => Device.ComputeCapability == 0 ? "cuda-emulated" : "cuda";

    /// <summary>What the convolutions are computed with ("cuDNN 9.10.2 (Tf32)"), for reports.</summary>
    public string ConvolutionEngine => _convolutions.Name;

    /// <summary>The convolutions' arithmetic (every other op computes in fp32).</summary>
    public Precision Precision => _convolutions.Precision;

    /// <summary>Host↔device copies of activations and outputs made because an op was given host tensors.</summary>
    public int StagedCopies => _stagedCopies;

    /// <summary>Tensors copied across explicitly: <see cref="Import"/> of a host tensor and <see cref="Tensor.ToHost"/>.</summary>
    public int Transfers => _transfers;

    /// <summary>Reads of a device tensor that waited for the compute stream to drain (<see cref="Tensor.ToHost"/>, not <see cref="ReadLater"/>): each leaves the device idle until the host queues more.</summary>
    public int DrainingReads => _drainingReads;

    /// <summary>cuMemAlloc calls made for tensors so far (the pool recycles, so a repeated step makes none).</summary>
    public int DeviceAllocations => Pool.DeviceAllocations;

    /// <summary>Graphs captured by this backend's repeated work so far (one per piece of work and set of input shapes).</summary>
    public int GraphsCaptured => _graphsCaptured;
    private int _graphsCaptured;

    /// <summary>Every op but annealed means of more bins than the kernel stages.</summary>
    public bool Supports(Op op) => op switch
    {
        Conv2dOp or ConvTranspose2dOp or Conv2dBackwardDataOp or Conv2dBackwardWeightOp => _convolutions.Supports(op),
        ConvChainOp chain => chain.Layers.All(_convolutions.Supports),
        AnnealedMeanOp m => m.Bins <= CudaKernels.MaxBins,
        _ => true,
    };

    /// <summary>
    /// The op with its parameters on the device (host ones uploaded now and freed with the op); unsupported ops throw.
    /// A chain of convolutions runs as one op where the convolutions keep its activations in a form of their own
    /// between layers (<see cref="IConvolutionEngine.RunsChains"/>), else layer by layer.
    /// </summary>
    public IPreparedOp Prepare(Op op, params Tensor[] parameters)
    {
        if (!Supports(op)) throw new NotSupportedException($"{op.GetType().Name} on {Name}");
        BackendExtensions.CheckParameters(op, parameters);
        if (op is ConvChainOp chain && !_convolutions.RunsChains) return new ConvChain(this, chain, parameters);
        return new CudaOp(this, op, parameters.Select(Import).ToArray());
    }

    internal IConvolutionEngine Convolutions => _convolutions;

    /// <summary>A device tensor of zeros, from the pool.</summary>
    public Tensor Zeros(Shape shape)
    {
        var t = Allocate(shape);
        Device.Fill(PtrOf(t), 0, Bytes(shape), Stream);
        return t;
    }

    /// <summary>A device tensor whose elements are not set (for outputs written in full), from the pool.</summary>
    public Tensor Allocate(Shape shape)
    {
        var storage = CudaStorage.Owning(this, Pool.Rent(Bytes(shape)));
        if (_openScope is { } scope && scope.Backend == this) scope.Lent.Add(storage);
        return new Tensor(shape, storage);
    }

    /// <summary>
    /// A view of <paramref name="t"/> when it lives here; otherwise an upload (<see cref="Upload"/>) that
    /// overlaps the compute queued before it.
    /// </summary>
    public Tensor Import(Tensor t)
    {
        if (t.Storage is CudaStorage s && s.Owner == this) return new Tensor(t.Shape, CudaStorage.View(this, s.Ptr));
        var y = Allocate(t.Shape);
        Upload(t, PtrOf(y));
        return y;
    }

    /// <summary>
    /// At most an eighth of the device memory free now, the pool's idle buffers counted as free (they go
    /// back to the device when it is full): a stage keeps up to three such stores (a chroma shot's inputs,
    /// targets and answers), leaving most of the memory to training and the frames.
    /// </summary>
    public long KeepBudget(long bytes) => Math.Min(bytes, (Device.FreeMemoryBytes + Pool.IdleBytes) / 8);

    /// <summary>Half the device memory free now (the pool's idle buffers counted free): the rest for the other stages, cuDNN's workspaces and the frames in flight.</summary>
    public long WorkingBudget(long bytes) => Math.Min(bytes, (Device.FreeMemoryBytes + Pool.IdleBytes) / 2);

    /// <inheritdoc/>
    public string WorkingMemory => "the GPU's free memory";

    /// <summary>A convolution's cuDNN algorithm once its plan is made (<see cref="IConvolutionEngine.Describe"/>); a gradient's plan is keyed by the forward's input.</summary>
    public string Describe(Op op, Shape input) => op switch
    {
        Conv2dBackwardDataOp d => _convolutions.Describe(op, new Shape(input.N, d.Forward.InChannels, d.InputH, d.InputW)),
        Conv2dOp or ConvTranspose2dOp or Conv2dBackwardWeightOp => _convolutions.Describe(op, input),
        _ => "",
    };

    /// <summary>Repeated work captured into a CUDA graph per set of input shapes (<see cref="GraphedWork"/>), or run op by op without graphs (<see cref="UsesGraphs"/>).</summary>
    public IRepeatedWork Repeat(Func<Tensor[], Tensor[]> body)
    {
        if (!_graphs) return new EagerWork(body);
        var work = new GraphedWork(this, body);
        lock (_works) _works.Add(work);
        return work;
    }

    /// <summary>Copies <paramref name="t"/> (a tensor here or on the host) into <paramref name="destination"/>, device memory of its size.</summary>
    internal void CopyInto(Tensor t, DevicePtr destination)
    {
        if (t.Storage is CudaStorage s && s.Owner == this) Device.CopyDeviceToDevice(destination, s.Ptr, Bytes(t.Shape), Stream);
        else Upload(t, destination);
    }

    /// <summary>A new device tensor holding a copy of device memory <paramref name="source"/> of <paramref name="shape"/>.</summary>
    internal Tensor Duplicate(Shape shape, DevicePtr source)
    {
        var y = Allocate(shape);
        Device.CopyDeviceToDevice(PtrOf(y), source, Bytes(shape), Stream);
        return y;
    }

    /// <summary>
    /// The host tensor <paramref name="t"/> into device memory at <paramref name="destination"/>, counted
    /// as a transfer. It crosses the bus on the copy stream, from a page-locked buffer (so the copy is
    /// asynchronous and at full speed) into a landing buffer of the same slot, two slots in turn; the
    /// compute stream waits for it there and copies it on to the destination (device to device, ~1000×
    /// faster than the bus). The destination comes from the pool, whose buffers only the compute stream
    /// touches, so no earlier user of it can be overtaken; the landing buffer is refilled only after the
    /// compute stream has copied it out, and the page-locked one after its copy is done.
    /// </summary>
    private void Upload(Tensor t, DevicePtr destination)
    {
        // The host waits for the copy stream here, which no capture permits (and a graph would not replay the upload).
        if (_capturingChecks is not null) throw new InvalidOperationException("a host tensor cannot be uploaded inside captured work: give it as an input");
        lock (_staging) UploadThroughSlot(t.ToHost(), destination);
    }

    private unsafe void UploadThroughSlot(Tensor host, DevicePtr destination)
    {
        long bytes = Bytes(host.Shape);
        int slot = _nextStaging;
        _nextStaging ^= 1;
        Device.WaitHost(_uploaded[slot]);
        if (_staging[slot] is not { } pinned || pinned.Bytes < bytes)
        {
            _staging[slot]?.Dispose();
            _staging[slot] = pinned = Device.AllocatePinned(bytes);
        }
        if (_landing[slot] is not { } landing || landing.Bytes < bytes)
        {
            // Freeing device memory waits for the device; the compute stream may still read the old one.
            Device.WaitHost(_landed[slot]);
            _landing[slot]?.Dispose();
            _landing[slot] = landing = Device.Allocate(bytes);
        }
        host.Data.AsSpan(0, host.Length).CopyTo(pinned.As<float>());
        // SAFETY: the staging and landing buffers hold at least `bytes` (reallocated above when smaller), and destination holds t's shape (the callers' contract).
        Debug.Assert(pinned.Bytes >= bytes && landing.Bytes >= bytes);
        Device.Wait(_copies, _landed[slot]);
        Device.CopyToDevice(landing.Ptr, (void*)pinned.Address, bytes, _copies);
        Device.Record(_uploaded[slot], _copies);
        Device.Wait(Stream, _uploaded[slot]);
        Device.CopyDeviceToDevice(destination, landing.Ptr, bytes, Stream);
        Device.Record(_landed[slot], Stream);
        Interlocked.Increment(ref _transfers);
    }

    /// <summary>A scope whose device tensors go back to the pool when it closes; one open scope per thread.</summary>
    public IWorkspace CreateWorkspace() => new Workspace(this);

    /// <summary>
    /// Checks on the device: a kernel flags non-finite elements in a slot, and the flags are read the
    /// next time the host waits for the device (a download), so no layer waits for its check.
    /// </summary>
    public void EnsureFinite(Tensor t, string where)
    {
        if (t.IsOnHost)
        {
            t.EnsureFinite(where);
            return;
        }
        if (_capturingChecks is { } captured)
        {
            captured.Add(Kernels, PtrOf(t), t.Length, where, Stream);
            return;
        }
        if (_checks.Count == CheckSlots) ReadChecks();
        _checks.Add(Kernels, PtrOf(t), t.Length, where, Stream);
    }

    /// <summary>Captures <paramref name="body"/>'s work on the compute stream into a graph, its finite checks into <paramref name="checks"/>.</summary>
    internal GpuGraph Capture(Action body, FiniteChecks checks)
    {
        _capturingChecks = checks;
        try
        {
            var graph = Device.Capture(Stream, body);
            Interlocked.Increment(ref _graphsCaptured);
            return graph;
        }
        finally
        {
            _capturingChecks = null;
        }
    }

    /// <summary>Replays <paramref name="graph"/> on the compute stream; its checks are read at the host's next wait.</summary>
    internal void Replay(GpuGraph graph, FiniteChecks checks)
    {
        Device.Replay(graph, Stream);
        if (checks.Count > 0 && !_replayedChecks.Contains(checks)) _replayedChecks.Add(checks);
    }

    /// <summary>Forgets <paramref name="work"/> and its checks (it is being disposed).</summary>
    internal void Forget(GraphedWork work, IEnumerable<FiniteChecks> checks)
    {
        lock (_works) _works.Remove(work);
        foreach (var c in checks) _replayedChecks.Remove(c);
    }

    /// <summary>Waits for the device to finish what it was given; reports a failed finite check.</summary>
    void IBackend.Synchronize() => Synchronize();

    /// <summary>Waits for the device to finish what it was given; reports a failed finite check.</summary>
    public void Synchronize()
    {
        Device.Synchronize(Stream);
        ReadChecks();
    }

    /// <summary>
    /// Queues the copy of <paramref name="t"/> into a page-locked slot, and of every finite check's flag
    /// set so far with it, behind the work already queued; the read waits for that copy alone and then
    /// reports a failed check (so a training loop learns of a NaN one step late, not at the end).
    /// </summary>
    public unsafe IPendingRead ReadLater(Tensor t)
    {
        if (t.IsOnHost) return new ReadyRead(t.Span.ToArray());
        if (_capturingChecks is not null) throw new InvalidOperationException("a read cannot be queued inside captured work: the host waits for it");
        var sets = new List<(FiniteChecks Set, bool Forget)>();
        if (_checks.Count > 0) sets.Add((_checks, true));
        sets.AddRange(_replayedChecks.Where(c => c.Count > 0).Select(c => (c, false)));
        _replayedChecks.Clear();
        long bytes = Bytes(t.Shape), slotBytes = bytes + sets.Sum(s => (long)s.Set.Count) * sizeof(int);
        var slot = RentRead(slotBytes);
        // SAFETY: the slot holds t's floats and then one int per check collected (rented at that size); the copies are queued before its event.
        Debug.Assert(slot.Pinned.Bytes >= slotBytes);
        Device.CopyToHost((void*)slot.Pinned.Address, PtrOf(t), bytes, Stream);
        var collected = new List<(string[] Names, int Offset)>();
        int offset = t.Length;
        foreach (var (set, forget) in sets)
        {
            var names = set.Collect((int*)slot.Pinned.Address + offset, Stream, forget);
            collected.Add((names, offset));
            offset += names.Length;
        }
        Device.Record(slot.Done, Stream);
        Interlocked.Increment(ref _transfers);
        return new PendingDeviceRead(this, slot, t.Length, collected);
    }

    /// <summary>
    /// The smallest free slot that holds <paramref name="bytes"/>, or a new one. Best fit, not the last
    /// slot given back: a frame's two reads differ in size (one carries the checks' flags), and taking
    /// only the last would allocate page-locked memory for every frame.
    /// </summary>
    private ReadSlot RentRead(long bytes)
    {
        lock (_reads)
        {
            int best = -1;
            for (int i = 0; i < _freeReads.Count; i++)
                if (_freeReads[i].Pinned.Bytes >= bytes && (best < 0 || _freeReads[i].Pinned.Bytes < _freeReads[best].Pinned.Bytes)) best = i;
            if (best >= 0)
            {
                var free = _freeReads[best];
                _freeReads.RemoveAt(best);
                return free;
            }
            var slot = new ReadSlot(Device.AllocatePinned(Math.Max(bytes, 4096)), Device.CreateEvent());
            _reads.Add(slot);
            return slot;
        }
    }

    /// <summary>Page-locked slots made for pending reads so far (each lives until the backend is disposed).</summary>
    internal int ReadSlots
    {
        get
        {
            lock (_reads) return _reads.Count;
        }
    }

    internal void ReturnRead(ReadSlot slot)
    {
        lock (_reads)
            if (!_disposed) _freeReads.Add(slot);
    }

    /// <summary>A read given up unread whose copy carries finite checks: they are read at the host's next wait, not lost.</summary>
    internal void Owe(PendingDeviceRead read)
    {
        lock (_reads)
            if (!_disposed) _owed.Add(read);
    }

    /// <summary>Whether the backend has been disposed (its slots and events are gone).</summary>
    internal bool IsDisposed => _disposed;

    /// <summary>A timing event recorded on the compute stream behind the work queued so far; null inside a capture (a graph holds no timing).</summary>
    public IDeviceMark? Mark()
    {
        if (_capturingChecks is not null) return null;
        GpuEvent e;
        lock (_timing)
            if (!_freeTiming.TryPop(out e!))
            {
                e = Device.CreateTimingEvent();
                _timing.Add(e);
            }
        Device.Record(e, Stream);
        return new DeviceMark(this, e);
    }

    private sealed class DeviceMark(CudaBackend backend, GpuEvent e) : IDeviceMark
    {
        private int _disposed;

        public double MillisecondsSince(IDeviceMark earlier)
        {
            if (earlier is not DeviceMark from || from.Backend != backend) throw new ArgumentException("the earlier mark is not one of this backend's");
            // A disposed mark's event may be stamped again by another mark: its time would be that one's.
            ObjectDisposedException.ThrowIf(_disposed != 0 || from._disposed != 0, this);
            backend.Device.WaitHost(e);
            return backend.Device.ElapsedMs(from.Event, e);
        }

        private CudaBackend Backend => backend;
        private GpuEvent Event => e;

        /// <summary>Gives the event back for another mark (a later record re-stamps it, in stream order).</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            lock (backend._timing) backend._freeTiming.Push(e);
        }
    }

    /// <summary>The device address of a tensor that lives on this backend (for launching kernels on it directly).</summary>
    public DevicePtr PtrOf(Tensor t) => t.Storage is CudaStorage s && s.Owner == this
        ? s.Ptr
        : throw new ArgumentException($"a {t.Shape} tensor on {(t.IsOnHost ? "the host" : t.Storage!.Location)} is not in {Name}'s memory");

    /// <summary>Copies device memory to the host after the queued work, counted as a transfer.</summary>
    internal void Download(DevicePtr src, Span<float> destination)
    {
        Device.CopyToHostAndWait(destination, src, (long)destination.Length * sizeof(float), Stream);
        Interlocked.Increment(ref _transfers);
        Interlocked.Increment(ref _drainingReads);
        ReadChecks();
    }

    internal void CountStaged() => Interlocked.Increment(ref _stagedCopies);

    internal static long Bytes(Shape shape) => shape.ElementCount * sizeof(float);

    private void ReadChecks()
    {
        PendingDeviceRead[] owed;
        lock (_reads)
        {
            owed = _owed.ToArray();
            _owed.Clear();
        }
        // Every owed read is settled (its slot given back) even when an earlier one fails; the first failure is reported.
        Exception? failed = null;
        foreach (var r in owed)
            try
            {
                r.Settle();
            }
            catch (Exception e)
            {
                failed ??= e;
            }
        if (failed is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed);
        var replayed = _replayedChecks.ToArray();
        _replayedChecks.Clear();
        _checks.Read(Stream, forget: true);
        foreach (var c in replayed) c.Read(Stream, forget: false);
    }

    /// <summary>Waits for the device, then frees repeated work still held, the pool, the convolution engine, the staging and read buffers and the device itself.</summary>
    public void Dispose()
    {
        Device.Synchronize(Stream);
        Device.Synchronize(_copies);
        GraphedWork[] works;
        lock (_works) works = _works.ToArray();
        foreach (var w in works) w.Dispose();
        _checks.Clear();
        _replayedChecks.Clear();
        _convolutions.Dispose();
        Pool.Dispose();
        _checks.Dispose();
        foreach (var b in _staging) b?.Dispose();
        foreach (var b in _landing) b?.Dispose();
        foreach (var e in _uploaded.Concat(_landed)) e.Dispose();
        lock (_reads)
        {
            _disposed = true;
            foreach (var r in _reads) r.Dispose();
            _reads.Clear();
            _freeReads.Clear();
            _owed.Clear();
        }
        lock (_timing)
        {
            foreach (var e in _timing) e.Dispose();
            _timing.Clear();
            _freeTiming.Clear();
        }
        Stream.Dispose();
        _copies.Dispose();
        Device.Dispose();
    }

    /// <summary>A scope's allocations, given back to the pool when it closes.</summary>
    private sealed class Workspace(CudaBackend backend) : IWorkspace
    {
        public CudaBackend Backend => backend;
        public List<CudaStorage> Lent { get; } = new();

        public IDisposable Open()
        {
            if (_openScope is not null) throw new InvalidOperationException("a device workspace is already open on this thread");
            _openScope = this;
            return new Scope(this);
        }

        public void Dispose()
        {
        }

        private sealed class Scope(Workspace workspace) : IDisposable
        {
            public void Dispose()
            {
                _openScope = null;
                foreach (var s in workspace.Lent) s.Dispose();
                workspace.Lent.Clear();
            }
        }
    }
}
