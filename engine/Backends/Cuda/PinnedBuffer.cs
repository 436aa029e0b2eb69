namespace Reel.Engine.Backends.Cuda;

/// <summary>Page-locked host memory; <see cref="Span"/> views it as bytes.</summary>
// SAFETY: the one raw access is As, which stays inside the allocation (below).
public sealed unsafe class PinnedBuffer(nint address, long bytes, Action<nint> free) : IDisposable
{
    private Action<nint>? _free = free;
    public nint Address { get; } = address;
    public long Bytes { get; } = bytes;

    /// <summary>The buffer as whole elements of <typeparamref name="T"/> (a partial element at the end is left out).</summary>
    // SAFETY: the span covers floor(Bytes / sizeof(T)) elements from Address, inside the Bytes allocated; it is valid until Dispose.
    public Span<T> As<T>() where T : unmanaged => new((void*)Address, checked((int)(Bytes / sizeof(T))));

    public void Dispose()
    {
        Interlocked.Exchange(ref _free, null)?.Invoke(Address);
    }
}
