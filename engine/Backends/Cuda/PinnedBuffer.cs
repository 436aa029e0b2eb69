namespace Reel.Engine.Backends.Cuda;

/// <summary>Page-locked host memory, which the device copies from and to asynchronously; <see cref="As"/> views it as elements.</summary>
// SAFETY: the one raw access is As, which stays inside the allocation (below).
public sealed unsafe class PinnedBuffer(nint address, long bytes, Action<nint> free, Action<nint>? used = null) : IDisposable
{
    private Action<nint>? _free = free;
    /// <summary>The host address of the first byte.</summary>
    public nint Address { get; } = address;

    /// <summary>The size in bytes.</summary>
    public long Bytes { get; } = bytes;

    /// <summary>The buffer as whole elements of <typeparamref name="T"/> (a partial element at the end is left out).</summary>
    // SAFETY: the span covers floor(Bytes / sizeof(T)) elements from Address, inside the Bytes allocated; it is valid until Dispose.
    public Span<T> As<T>() where T : unmanaged
    {
        // The emulator orders the host's use of the memory against the copies that read and write it.
        used?.Invoke(Address);
        return new((void*)Address, checked((int)(Bytes / sizeof(T))));
    }

    /// <summary>Frees the memory once, however often it is called.</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _free, null)?.Invoke(Address);
    }
}
