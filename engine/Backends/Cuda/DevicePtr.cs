namespace Reel.Engine.Backends.Cuda;

/// <summary>A device address (CUdeviceptr). In emulation it is a host address.</summary>
public readonly record struct DevicePtr(ulong Address)
{
    public static readonly DevicePtr Null = new(0);
    public bool IsNull => Address == 0;

    /// <summary>The address <paramref name="elements"/> elements of <typeparamref name="T"/> further on.</summary>
    // SAFETY: address arithmetic only, nothing is read or written here; whoever dereferences the result keeps it inside its buffer.
    public unsafe DevicePtr Plus<T>(long elements) where T : unmanaged => new(Address + (ulong)(elements * sizeof(T)));

    public override string ToString() => $"0x{Address:x}";
}
