using System.Diagnostics;

namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// NaN/infinity checks made on the device: each check's kernel sets its own flag slot, and the host
/// reads the flags and names the first check that failed at its next wait. The backend's eager work
/// has one set, forgotten once read; each captured graph has its own, read again after every replay
/// (its slots are baked into the graph).
/// </summary>
internal sealed class FiniteChecks : IDisposable
{
    private readonly IGpuDevice _device;
    private readonly DeviceBuffer _flags;
    private readonly List<string> _names = new();

    public FiniteChecks(IGpuDevice device, int slots, GpuStream stream)
    {
        _device = device;
        Slots = slots;
        _flags = device.Allocate(slots * sizeof(int));
        device.Fill(_flags.Ptr, 0, _flags.Bytes, stream);
    }

    public int Slots { get; }
    public int Count => _names.Count;

    /// <summary>Enqueues the check of <paramref name="n"/> floats at <paramref name="x"/>, named <paramref name="where"/>, in the next slot.</summary>
    public void Add(CudaKernels kernels, DevicePtr x, long n, string where, GpuStream stream)
    {
        if (_names.Count == Slots) throw new InvalidOperationException($"more than {Slots} finite checks before the host reads them");
        kernels.FiniteCheck(x, n, _flags.Ptr, _names.Count, stream);
        _names.Add(where);
    }

    /// <summary>Waits for <paramref name="stream"/>, reads the flags and clears them; forgets the names when <paramref name="forget"/>; throws for the first flagged check.</summary>
    public unsafe void Read(GpuStream stream, bool forget)
    {
        if (_names.Count == 0) return;
        var flags = new int[_names.Count];
        // SAFETY: flags has one int per check made, at most Slots, which is what _flags holds. It stays pinned
        // until the stream is done: a copy into pageable memory may still be running when cuMemcpyDtoHAsync
        // returns (the driver's documentation says only that it "might be synchronous").
        Debug.Assert(flags.Length <= Slots);
        string[] names;
        fixed (int* f = flags)
        {
            names = Collect(f, stream, forget);
            _device.Synchronize(stream);
        }
        Verdict(names, flags);
    }

    /// <summary>
    /// Queues on <paramref name="stream"/> the copy of the flags set so far into host memory at
    /// <paramref name="destination"/> (room for <see cref="Count"/> ints; page-locked for the copy not to
    /// wait) and their clearing; forgets the names when <paramref name="forget"/>. Returns the names the
    /// copied flags stand for, to give <see cref="Verdict"/> once the copy is done.
    /// </summary>
    // SAFETY: the caller's destination holds Count ints and stays valid until the copy is done.
    public unsafe string[] Collect(int* destination, GpuStream stream, bool forget)
    {
        var names = _names.ToArray();
        if (names.Length == 0) return names;
        _device.CopyToHost(destination, _flags.Ptr, names.Length * sizeof(int), stream);
        _device.Fill(_flags.Ptr, 0, names.Length * sizeof(int), stream);
        if (forget) _names.Clear();
        return names;
    }

    /// <summary>Throws for the first of <paramref name="names"/> whose flag is set.</summary>
    public static void Verdict(string[] names, ReadOnlySpan<int> flags)
    {
        int first = flags[..names.Length].IndexOf(1);
        if (first >= 0) throw new ReelException($"{names[first]} produced NaN or infinity: the input or the weights are out of range");
    }

    /// <summary>Forgets the checks made (the backend is going away).</summary>
    public void Clear() => _names.Clear();

    public void Dispose() => _flags.Dispose();
}
