using System.Runtime.Intrinsics;
namespace Reel.Engine.Tensors;

/// <summary>
/// A dense float32 tensor in row-major order (NCHW for images), in host memory or in the memory
/// of the backend that computes it (a GPU's: <see cref="Storage"/>). A host tensor's array is
/// owned and may be larger than the shape needs only when a caller wraps a pooled buffer.
/// Disposing a tensor frees its device memory at once; a host tensor has nothing to free.
/// </summary>
public sealed class Tensor : IDisposable
{
    private readonly float[]? _data;

    /// <summary>The dimensions; for images NCHW.</summary>
    public Shape Shape { get; }

    /// <summary>The elements of a host tensor; a device tensor has none here (copy it with <see cref="ToHost"/>).</summary>
    public float[] Data => _data ?? throw new InvalidOperationException(
        $"this {Shape} tensor lives on {Storage!.Location}; copy it to the host (ToHost) before reading its elements");

    /// <summary>Where a device tensor's elements are; null for a host tensor.</summary>
    public TensorStorage? Storage { get; }

    /// <summary>Whether the elements are in host memory (<see cref="Data"/>).</summary>
    public bool IsOnHost => _data is not null;

    /// <summary>A host tensor of zeros (a recycled buffer inside a <see cref="TensorArena"/> scope, cleared).</summary>
    public Tensor(Shape shape)
    {
        Shape = shape;
        _data = TensorArena.Allocate(checked((int)shape.ElementCount));
    }

    private Tensor(Shape shape, bool clear)
    {
        Shape = shape;
        _data = TensorArena.Allocate(checked((int)shape.ElementCount), clear);
    }

    /// <summary>
    /// A tensor for a result that will be written in full before it is read: inside a
    /// <see cref="TensorArena"/> scope its recycled buffer is not zeroed first (a U-Net training step
    /// would clear some 300 MiB for nothing); outside one it is a new, zeroed array as usual.
    /// </summary>
    public static Tensor Uninitialized(Shape shape) => new(shape, clear: false);

    /// <summary>A host tensor over <paramref name="data"/> (not copied), which must hold at least the shape's element count.</summary>
    public Tensor(Shape shape, float[] data)
    {
        if (data.Length < shape.ElementCount)
            throw new ArgumentException($"buffer of {data.Length} floats is too small for shape {shape}");
        Shape = shape;
        _data = data;
    }

    /// <summary>A tensor whose elements live in <paramref name="storage"/> (device memory a backend owns).</summary>
    public Tensor(Shape shape, TensorStorage storage)
    {
        Shape = shape;
        Storage = storage;
    }

    /// <summary>A host tensor with this tensor's values: this one when it is on the host already.</summary>
    public Tensor ToHost()
    {
        if (_data is not null) return this;
        var host = Uninitialized(Shape);
        Storage!.CopyTo(host.Data.AsSpan(0, host.Length));
        return host;
    }

    /// <summary>A view of this tensor's first <c>shape.ElementCount</c> elements as <paramref name="shape"/> (no copy; it frees nothing).</summary>
    public Tensor View(Shape shape)
    {
        if (shape.ElementCount > Shape.ElementCount) throw new ArgumentException($"a view of {shape} does not fit in a {Shape} tensor");
        return _data is not null ? new Tensor(shape, _data) : new Tensor(shape, Storage!.Alias());
    }

    /// <summary>Frees a device tensor's memory (or gives it back to the scope that lent it); nothing for a host tensor.</summary>
    public void Dispose() => Storage?.Dispose();

    /// <summary>The number of elements.</summary>
    public int Length => (int)Shape.ElementCount;

    /// <summary>Sets every element to 0, a large tensor on every core.</summary>
    public void Clear() => TensorArena.Clear(Data, Length);
    /// <summary>The elements of a host tensor (a rented buffer may be longer than <see cref="Length"/>).</summary>
    public Span<float> Span => Data.AsSpan(0, Length);

    /// <summary>Element (n, c, y, x) of an NCHW tensor.</summary>
    public ref float At(int n, int c, int y, int x) =>
        ref Data[((n * Shape.C + c) * Shape.H + y) * Shape.W + x];

    /// <summary>Throws a <see cref="ReelException"/> naming <paramref name="where"/> if any element is NaN or infinite.</summary>
    public void EnsureFinite(string where)
    {
        // Large tensors (a DnCNN activation is 16 MiB, checked after every layer) are scanned on
        // every core: one core alone reads too slowly for the check to stay small next to the conv.
        const int Slice = 1 << 18;
        int length = Length;
        bool finite = length < 2 * Slice
            ? AllFinite(Data.AsSpan(0, length))
            : AllSlicesFinite(Data, length, Slice);
        if (finite) return;
        foreach (var v in Span)
            if (!float.IsFinite(v)) throw new ReelException($"{where} produced {v}: the input or the weights are out of range");
    }

    private static bool AllSlicesFinite(float[] data, int length, int slice)
    {
        int bad = 0;
        Parallel.For(0, (length + slice - 1) / slice, (i, state) =>
        {
            if (!AllFinite(data.AsSpan(i * slice, Math.Min(slice, length - i * slice))))
            {
                Volatile.Write(ref bad, 1);
                state.Stop();
            }
        });
        return bad == 0;
    }

    private static bool AllFinite(ReadOnlySpan<float> span)
    {
        // v − v is 0 for finite v and NaN for ±∞ and NaN: one vector pass, the scalar search only on failure.
        ref float start = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(span);
        Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
        nuint i = 0, n = (nuint)span.Length;
        // SAFETY: the unchecked loads read [i, i + 32) only while i + 32 ≤ Length.
        for (; i + 32 <= n; i += 32)
        {
            var v0 = Vector256.LoadUnsafe(ref start, i);
            var v1 = Vector256.LoadUnsafe(ref start, i + 8);
            var v2 = Vector256.LoadUnsafe(ref start, i + 16);
            var v3 = Vector256.LoadUnsafe(ref start, i + 24);
            a0 += v0 - v0;
            a1 += v1 - v1;
            a2 += v2 - v2;
            a3 += v3 - v3;
        }
        bool finite = Vector256.EqualsAll((a0 + a1) + (a2 + a3), Vector256<float>.Zero);
        for (; i < n; i++) finite &= float.IsFinite(span[(int)i]);
        return finite;
    }

    /// <summary>A host copy with its own buffer.</summary>
    public Tensor Clone() => new(Shape, (float[])Span.ToArray());
}
