using System.Runtime.InteropServices;
using Reel.Emulation;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Backends.Cuda;
using Reel.Tests.Support;

namespace Reel.Tests.Cuda;

/// <summary>
/// The emulated GPU shared by the CUDA tests, and device buffers with NaN sentinels after
/// their data: a kernel that writes one element too far changes a sentinel's bit pattern.
/// A missing emulation library fails the test with its path (it is built by cmake, see build.sh).
/// </summary>
public static class EmulatedGpu
{
    public const int SentinelCount = 29;
    /// <summary>A NaN with a payload no kernel produces.</summary>
    public const uint SentinelBits = 0x7fc0beef;

    private static readonly Lazy<EmulatedDevice> Shared = new(() => EmulatedDevice.Open(EmulatedDevice.DefaultLibraryPath(TestPaths.RepoRoot)));

    public static EmulatedDevice Device
    {
        get
        {
            var path = EmulatedDevice.DefaultLibraryPath(TestPaths.RepoRoot);
            if (!File.Exists(path)) Assert.Fail($"kernel emulation library missing: {path} (build it: cmake -S . -B build && cmake --build build)");
            return Shared.Value;
        }
    }

    public static CudaKernels Kernels => new(Device);

    /// <summary>
    /// A CUDA backend on the emulated device, its convolutions Reel's cuDNN code over the emulated cuDNN in
    /// <paramref name="precision"/>, whose arithmetic is the fast CPU path's (or <paramref name="convolutions"/>':
    /// the single-threaded reference is quicker on tiny maps).
    /// </summary>
    public static CudaBackend Backend(EmulatedDevice? device = null, IBackend? convolutions = null, Precision precision = Precision.Fp32, bool graphs = true)
    {
        var d = device ?? Device;
        return new CudaBackend(d, EmulatedCudnn.Convolutions(d, convolutions ?? FastBackend.Training, precision), graphs);
    }

    /// <summary>A device of the test's own, for counting its allocations and launches while other tests run in parallel.</summary>
    public static EmulatedDevice OpenPrivate()
    {
        _ = Device;
        return EmulatedDevice.Open(EmulatedDevice.DefaultLibraryPath(TestPaths.RepoRoot));
    }

    /// <summary>A device buffer holding <paramref name="data"/> followed by sentinels.</summary>
    public static unsafe Buffer<T> Upload<T>(ReadOnlySpan<T> data) where T : unmanaged
    {
        var b = new Buffer<T>(data.Length);
        fixed (T* p = data) Device.CopyToDevice(b.Ptr, p, (long)data.Length * sizeof(T));
        return b;
    }

    public static Buffer<T> Alloc<T>(int length) where T : unmanaged => new(length);

    /// <summary>Device memory for <c>Length</c> elements of T plus the sentinel tail, read back with <see cref="Download"/>.</summary>
    public sealed unsafe class Buffer<T> : IDisposable where T : unmanaged
    {
        private readonly DeviceBuffer _buffer;
        private readonly long _tailBytes = SentinelCount * 4L;

        public Buffer(int length)
        {
            Length = length;
            _buffer = Device.Allocate((long)length * sizeof(T) + _tailBytes);
            var garbage = new byte[length * sizeof(T)];
            new Random(length).NextBytes(garbage);
            fixed (byte* g = garbage) Device.CopyToDevice(_buffer.Ptr, g, garbage.Length);
            var tail = new uint[SentinelCount];
            Array.Fill(tail, SentinelBits);
            fixed (uint* t = tail) Device.CopyToDevice(new DevicePtr(_buffer.Ptr.Address + (ulong)(length * sizeof(T))), t, _tailBytes);
        }

        public int Length { get; }
        public DevicePtr Ptr => _buffer.Ptr;

        /// <summary>The data, after asserting that every sentinel after it is intact.</summary>
        public T[] Download(string what)
        {
            var data = new T[Length];
            var tail = new uint[SentinelCount];
            fixed (T* d = data) Device.CopyToHost(d, _buffer.Ptr, (long)Length * sizeof(T));
            fixed (uint* t = tail) Device.CopyToHost(t, new DevicePtr(_buffer.Ptr.Address + (ulong)(Length * sizeof(T))), _tailBytes);
            for (int i = 0; i < tail.Length; i++)
                Assert.True(tail[i] == SentinelBits, $"{what}: wrote past the end of its output (sentinel {i} is 0x{tail[i]:x8})");
            return data;
        }

        public void Dispose() => _buffer.Dispose();
    }

    public static float[] RandomFloats(Random rng, int n, float lo, float hi)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = lo + (float)rng.NextDouble() * (hi - lo);
        return a;
    }

    /// <summary>Max |a − e|, failing on NaN or on an element beyond atol + rtol·|e|.</summary>
    public static double AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs((double)actual[i] - expected[i]);
            if (double.IsNaN(err) && !(float.IsNaN(expected[i]) && float.IsNaN(actual[i]))) Assert.Fail($"{what}: NaN at {i} (expected {expected[i]}, got {actual[i]})");
            if (err > atol + rtol * Math.Abs(expected[i])) Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]} (|err| {err:G3})");
            if (err > worst) worst = err;
        }
        return worst;
    }
}
