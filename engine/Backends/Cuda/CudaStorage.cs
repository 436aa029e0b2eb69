using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// A tensor's elements in a <see cref="CudaBackend"/>'s device memory: a buffer from its pool
/// (given back when the tensor is disposed) or a view into another tensor's buffer (frees nothing).
/// </summary>
internal sealed class CudaStorage : TensorStorage
{
    private DeviceBuffer? _buffer;

    private CudaStorage(CudaBackend owner, DevicePtr ptr, DeviceBuffer? buffer) => (Owner, Ptr, _buffer) = (owner, ptr, buffer);

    public static CudaStorage Owning(CudaBackend owner, DeviceBuffer buffer) => new(owner, buffer.Ptr, buffer);

    public static CudaStorage View(CudaBackend owner, DevicePtr ptr) => new(owner, ptr, null);

    public CudaBackend Owner { get; }
    public DevicePtr Ptr { get; }

    public override string Location => Owner.Name;

    public override void CopyTo(Span<float> destination) => Owner.Download(Ptr, destination);

    public override TensorStorage Alias() => View(Owner, Ptr);

    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } b) Owner.Pool.Return(b);
    }
}
