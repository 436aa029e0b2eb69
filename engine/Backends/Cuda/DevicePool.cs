using Reel.Engine.Backends.Cuda.Native;

namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// Device memory recycled by size: a buffer given back waits for the next request of its size
/// instead of going to cuMemFree, which may synchronize the whole device and would then stall every
/// frame and training step (each makes the same few hundred tensors). Only the compute stream
/// touches pool memory (uploads on the copy stream land in the backend's own buffers first), so a
/// buffer given back while kernels that use it are still queued can be lent again at once: the
/// next user's work is queued after theirs. Sizes are rounded up to
/// 512 bytes. Disposing frees every buffer the pool keeps; buffers still lent are their holders'.
/// While a graph is captured (<see cref="BeginCapture"/>), a buffer given back belongs to the graph:
/// the capture may lend it again (a captured graph runs in stream order too), but nobody else may
/// until the graph is destroyed, since every replay writes it again; and the capture allocates
/// nothing (the device refuses), so the run before it must have filled the pool.
/// </summary>
internal sealed class DevicePool(IGpuDevice device) : IDisposable
{
    private const long Granule = 512;
    private readonly Dictionary<long, Stack<DeviceBuffer>> _free = new();
    private readonly object _gate = new();
    private bool _disposed;
    private Dictionary<long, Stack<DeviceBuffer>>? _captureFree;
    private int _captureThread;

    /// <summary>cuMemAlloc calls made so far (what recycling saves shows here).</summary>
    public int DeviceAllocations { get; private set; }

    /// <summary>
    /// A buffer of at least <paramref name="bytes"/>: an idle one of its size, or a new one. When the device
    /// is full, the idle buffers of other sizes (a flow's scratch, an earlier shot's training) are freed
    /// and the allocation tried once more.
    /// </summary>
    public DeviceBuffer Rent(long bytes)
    {
        long size = Math.Max(Granule, (bytes + Granule - 1) / Granule * Granule);
        lock (_gate)
        {
            if (IsCapturing && _captureFree!.TryGetValue(size, out var captured) && captured.Count > 0) return captured.Pop();
            if (_free.TryGetValue(size, out var stack) && stack.Count > 0) return stack.Pop();
            DeviceAllocations++;
        }
        try
        {
            return device.Allocate(size);
        }
        catch (CudaException e) when (e.Status == Driver.CUDA_ERROR_OUT_OF_MEMORY && IdleBytes > 0)
        {
            // cuMemFree waits for the device anyway; waiting first says so to the emulator's ordering too.
            device.Synchronize();
            Trim();
            return device.Allocate(size);
        }
    }

    /// <summary>Bytes of the buffers waiting for reuse: memory the device counts as taken that this pool could give back.</summary>
    public long IdleBytes
    {
        get
        {
            lock (_gate) return _free.Sum(f => f.Key * f.Value.Count);
        }
    }

    public void Return(DeviceBuffer buffer)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                buffer.Dispose();
                return;
            }
            var free = IsCapturing ? _captureFree! : _free;
            if (!free.TryGetValue(buffer.Bytes, out var kept)) free[buffer.Bytes] = kept = new Stack<DeviceBuffer>();
            kept.Push(buffer);
        }
    }

    /// <summary>From now until <see cref="EndCapture"/>, what the calling thread gives back is kept for the graph it captures.</summary>
    public void BeginCapture()
    {
        lock (_gate)
        {
            if (_captureFree is not null) throw new InvalidOperationException("a capture is already keeping this pool's buffers");
            _captureFree = new Dictionary<long, Stack<DeviceBuffer>>();
            _captureThread = Environment.CurrentManagedThreadId;
        }
    }

    /// <summary>Ends the capture and hands over the buffers given back during it: the graph's until it is destroyed, then <see cref="Return"/>ed.</summary>
    public List<DeviceBuffer> EndCapture()
    {
        lock (_gate)
        {
            var kept = _captureFree?.Values.SelectMany(s => s).ToList() ?? new List<DeviceBuffer>();
            _captureFree = null;
            return kept;
        }
    }

    private bool IsCapturing => _captureFree is not null && _captureThread == Environment.CurrentManagedThreadId;

    /// <summary>Frees the buffers waiting for reuse (memory for something else, or the end).</summary>
    public void Trim()
    {
        lock (_gate)
        {
            foreach (var stack in _free.Values)
                while (stack.Count > 0) stack.Pop().Dispose();
            _free.Clear();
        }
    }

    public void Dispose()
    {
        Trim();
        lock (_gate) _disposed = true;
    }
}
