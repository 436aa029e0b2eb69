using Reel.Engine.Backends.Cuda;

namespace Reel.Cli.Commands;

/// <summary>
/// Raw device memory for the self-test's kernel checks (u8, half and bfloat16 data that no tensor
/// holds), followed by NaN sentinels whose bits a kernel writing too far would change.
/// </summary>
internal sealed unsafe class DeviceBytes : IDisposable
{
    private const int Sentinels = 64;
    private const uint SentinelBits = 0x7fc0beef;
    private readonly CudaBackend _gpu;
    private readonly DeviceBuffer _buffer;
    private readonly int _bytes;

    private DeviceBytes(CudaBackend gpu, int bytes)
    {
        (_gpu, _bytes) = (gpu, bytes);
        _buffer = gpu.Device.Allocate(bytes + Sentinels * 4L);
        var tail = new uint[Sentinels];
        Array.Fill(tail, SentinelBits);
        fixed (uint* t = tail) gpu.Device.CopyToDevice(new DevicePtr(_buffer.Ptr.Address + (ulong)bytes), t, Sentinels * 4L, gpu.Stream);
    }

    public DevicePtr Ptr => _buffer.Ptr;

    public static DeviceBytes Alloc(CudaBackend gpu, int bytes)
    {
        var b = new DeviceBytes(gpu, bytes);
        // Garbage, not zeros: a kernel that skips an element shows.
        var garbage = new byte[bytes];
        new Random(bytes).NextBytes(garbage);
        fixed (byte* g = garbage) gpu.Device.CopyToDevice(b.Ptr, g, bytes, gpu.Stream);
        return b;
    }

    public static DeviceBytes Upload<T>(CudaBackend gpu, T[] data) where T : unmanaged
    {
        var b = new DeviceBytes(gpu, data.Length * sizeof(T));
        fixed (T* d = data) gpu.Device.CopyToDevice(b.Ptr, d, b._bytes, gpu.Stream);
        return b;
    }

    public float[] Floats() => Read<float>();
    public ushort[] Shorts() => Read<ushort>();
    public byte[] Bytes() => Read<byte>();

    /// <summary>"" when every sentinel is intact, else how many were overwritten.</summary>
    public string SentinelNote()
    {
        var tail = new uint[Sentinels];
        fixed (uint* t = tail) _gpu.Device.CopyToHost(t, new DevicePtr(_buffer.Ptr.Address + (ulong)_bytes), Sentinels * 4L, _gpu.Stream);
        _gpu.Device.Synchronize(_gpu.Stream);
        int overwritten = tail.Count(v => v != SentinelBits);
        return overwritten == 0 ? "" : $"wrote {overwritten} of {Sentinels} sentinels past its output";
    }

    private T[] Read<T>() where T : unmanaged
    {
        var data = new T[_bytes / sizeof(T)];
        fixed (T* d = data) _gpu.Device.CopyToHost(d, _buffer.Ptr, _bytes, _gpu.Stream);
        _gpu.Device.Synchronize(_gpu.Stream);
        return data;
    }

    public void Dispose() => _buffer.Dispose();
}
