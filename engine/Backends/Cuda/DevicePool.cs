namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// Device memory recycled by size: a buffer given back waits for the next request of its size
/// instead of going to cuMemFree, which synchronizes the whole device and would stall every
/// frame and training step (each makes the same few hundred tensors). All work runs on one
/// compute stream, so a buffer given back while kernels that use it are still queued can be
/// lent again at once: the next user's work is queued after theirs. Sizes are rounded up to
/// 512 bytes. Disposing frees every buffer the pool keeps; buffers still lent are their holders'.
/// </summary>
internal sealed class DevicePool(IGpuDevice device) : IDisposable
{
    private const long Granule = 512;
    private readonly Dictionary<long, Stack<DeviceBuffer>> _free = new();
    private readonly object _gate = new();
    private bool _disposed;

    /// <summary>cuMemAlloc calls made so far (what recycling saves shows here).</summary>
    public int DeviceAllocations { get; private set; }

    public DeviceBuffer Rent(long bytes)
    {
        long size = Math.Max(Granule, (bytes + Granule - 1) / Granule * Granule);
        lock (_gate)
        {
            if (_free.TryGetValue(size, out var stack) && stack.Count > 0) return stack.Pop();
            DeviceAllocations++;
        }
        return device.Allocate(size);
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
            if (!_free.TryGetValue(buffer.Bytes, out var stack)) _free[buffer.Bytes] = stack = new Stack<DeviceBuffer>();
            stack.Push(buffer);
        }
    }

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
