namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// A read queued on the compute stream (<see cref="CudaBackend.ReadLater"/>) into a page-locked slot:
/// the values first, then the flags of every finite-check set collected with them. Waiting waits for
/// the slot's event only, so work queued after the read goes on running.
/// </summary>
internal sealed class PendingDeviceRead(CudaBackend backend, ReadSlot slot, int length, IReadOnlyList<(string[] Names, int Offset)> checks) : IPendingRead
{
    private float[]? _values;
    private bool _disposed;

    public bool IsReady => _values is not null;

    public float[] Wait()
    {
        if (_values is not null) return _values;
        ObjectDisposedException.ThrowIf(_disposed, this);
        backend.Device.WaitHost(slot.Done);
        var values = slot.Pinned.As<float>()[..length].ToArray();
        var flags = slot.Pinned.As<int>();
        foreach (var (names, offset) in checks) FiniteChecks.Verdict(names, flags.Slice(offset, names.Length));
        return _values = values;
    }

    /// <summary>Gives the slot back; a later read reuses it, its copy queued after this one's.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        backend.ReturnRead(slot);
    }
}

/// <summary>Page-locked memory a read is copied into, and the event recorded after the copy.</summary>
internal sealed class ReadSlot(PinnedBuffer pinned, GpuEvent done) : IDisposable
{
    public PinnedBuffer Pinned { get; } = pinned;
    public GpuEvent Done { get; } = done;

    public void Dispose()
    {
        Pinned.Dispose();
        Done.Dispose();
    }
}
