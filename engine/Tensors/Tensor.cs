using System.Runtime.Intrinsics;
namespace Reel.Engine.Tensors;

/// <summary>
/// A dense float32 tensor in row-major order (NCHW for images). The data array is owned
/// and may be larger than the shape needs only when a caller wraps a pooled buffer.
/// </summary>
public sealed class Tensor
{
    public Shape Shape { get; }
    public float[] Data { get; }

    public Tensor(Shape shape)
    {
        Shape = shape;
        Data = TensorArena.Allocate(checked((int)shape.ElementCount));
    }

    private Tensor(Shape shape, bool clear)
    {
        Shape = shape;
        Data = TensorArena.Allocate(checked((int)shape.ElementCount), clear);
    }

    /// <summary>
    /// A tensor for a result that will be written in full before it is read: inside a
    /// <see cref="TensorArena"/> scope its recycled buffer is not zeroed first (a U-Net training step
    /// would clear some 300 MiB for nothing); outside one it is a new, zeroed array as usual.
    /// </summary>
    public static Tensor Uninitialized(Shape shape) => new(shape, clear: false);

    public Tensor(Shape shape, float[] data)
    {
        if (data.Length < shape.ElementCount)
            throw new ArgumentException($"buffer of {data.Length} floats is too small for shape {shape}");
        Shape = shape;
        Data = data;
    }

    public int Length => (int)Shape.ElementCount;
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

    public Tensor Clone() => new(Shape, (float[])Span.ToArray());
}
