namespace Reel.Engine.Backends.Cuda;

/// <summary>A device address (CUdeviceptr). In emulation it is a host address.</summary>
public readonly record struct DevicePtr(ulong Address)
{
    /// <summary>No address: a kernel argument the kernel skips (a null scale or shift, say).</summary>
    public static readonly DevicePtr Null = new(0);

    /// <summary>Whether this is <see cref="Null"/>.</summary>
    public bool IsNull => Address == 0;

    /// <summary>The address <paramref name="elements"/> elements of <typeparamref name="T"/> further on.</summary>
    // SAFETY: address arithmetic only, nothing is read or written here; whoever dereferences the result keeps it inside its buffer.
    public unsafe DevicePtr Plus<T>(long elements) where T : unmanaged => new(Address + (ulong)(elements * sizeof(T)));

    /// <summary>The address in hex, as CUDA tools print it.</summary>
    public override string ToString() => $"0x{Address:x}";
}
