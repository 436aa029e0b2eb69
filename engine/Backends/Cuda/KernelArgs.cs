namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// A kernel's arguments in launch order, each in its own 8-byte slot, as cuLaunchKernel's
/// kernelParams wants them (an array of pointers to the values). int and float occupy the
/// slot's low bytes, which is where a little-endian GPU reads a 4-byte parameter.
/// </summary>
public sealed class KernelArgs
{
    private readonly List<ulong> _slots = new();
    private readonly List<string> _kinds = new();

    /// <summary>Appends a pointer argument (a device address; null is 0).</summary>
    public KernelArgs Ptr(DevicePtr p) => Add(p.Address, "ptr");

    /// <summary>Appends an int argument.</summary>
    public KernelArgs Int(int v) => Add((uint)v, "int");

    /// <summary>Appends a long long argument.</summary>
    public KernelArgs Long(long v) => Add((ulong)v, "long");

    /// <summary>Appends a float argument (its bits, in the slot's low 4 bytes).</summary>
    public KernelArgs Float(float v) => Add(BitConverter.SingleToUInt32Bits(v), "float");

    /// <summary>How many arguments were appended.</summary>
    public int Count => _slots.Count;

    /// <summary>The arguments' raw slots in launch order (a pointer's device address), for the emulator's ordering of memory accesses.</summary>
    internal IReadOnlyList<ulong> Values => _slots;

    /// <summary>"ptr,ptr,int,float": checked against the kernel's signature by the emulation tests.</summary>
    public string Signature => string.Join(',', _kinds);

    /// <summary>Calls <paramref name="use"/> with a kernelParams array valid for the duration of the call.</summary>
    public unsafe void WithParams(Action<nint> use)
    {
        var values = _slots.ToArray();
        // SAFETY: pointers has one entry per slot (at least one, so the array exists when there are no
        // arguments), each v + i with i < values.Length; both live until use returns, which is all the
        // launch needs (cuLaunchKernel copies the values before it returns).
        fixed (ulong* v = values)
        {
            var pointers = stackalloc nint[Math.Max(1, values.Length)];
            for (int i = 0; i < values.Length; i++) pointers[i] = (nint)(v + i);
            use((nint)pointers);
        }
    }

    private KernelArgs Add(ulong value, string kind)
    {
        _slots.Add(value);
        _kinds.Add(kind);
        return this;
    }
}
