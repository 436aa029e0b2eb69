namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// A read queued on the compute stream (<see cref="CudaBackend.ReadLater"/>) into a page-locked slot:
/// the values first, then the flags of every finite-check set collected with them. Waiting waits for
/// the slot's event only, so work queued after the read goes on running.
/// </summary>
internal sealed class PendingDeviceRead(CudaBackend backend, ReadSlot slot, int length, IReadOnlyList<(string[] Names, int Offset)> checks) : IPendingRead
{
    private float[]? _values;
    /// <summary>Whether the checks were read (by a wait, which reported a failed one by throwing).</summary>
    private bool _checked;
    private int _disposed;

    public bool IsReady => _values is not null;

    public float[] Wait()
    {
        if (_values is not null) return _values;
        ObjectDisposedException.ThrowIf(_disposed != 0 || backend.IsDisposed, this);
        _checked = true;
        return _values = Read();
    }

    /// <summary>
    /// Gives the slot back; a later read reuses it, its copy queued after this one's. Unread, a read
    /// that carries finite checks is owed to the backend instead, which reads them at its next wait.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (!_checked && checks.Count > 0) backend.Owe(this);
        else backend.ReturnRead(slot);
    }

    /// <summary>Reads an owed read's checks (waiting for its copy), then gives its slot back.</summary>
    internal void Settle()
    {
        try
        {
            Read();
        }
        finally
        {
            backend.ReturnRead(slot);
        }
    }

    /// <summary>Waits for the copy, reports the first failed check, returns the values.</summary>
    private float[] Read()
    {
        backend.Device.WaitHost(slot.Done);
        var values = slot.Pinned.As<float>()[..length].ToArray();
        var flags = slot.Pinned.As<int>();
        foreach (var (names, offset) in checks) FiniteChecks.Verdict(names, flags.Slice(offset, names.Length));
        return values;
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
