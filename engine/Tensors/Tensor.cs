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
        Data = new float[checked((int)shape.ElementCount)];
    }

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
        // v − v is 0 for finite v and NaN for ±∞ and NaN: one vector pass, the scalar search only on failure.
        var span = Span;
        var acc = System.Runtime.Intrinsics.Vector256<float>.Zero;
        int i = 0;
        for (; i + 8 <= span.Length; i += 8)
        {
            var v = System.Runtime.Intrinsics.Vector256.Create<float>(span.Slice(i, 8));
            acc += v - v;
        }
        bool finite = System.Runtime.Intrinsics.Vector256.EqualsAll(acc, System.Runtime.Intrinsics.Vector256<float>.Zero);
        for (; i < span.Length; i++) finite &= float.IsFinite(span[i]);
        if (finite) return;
        foreach (var v in span)
            if (!float.IsFinite(v)) throw new ReelException($"{where} produced {v}: the input or the weights are out of range");
    }

    public Tensor Clone() => new(Shape, (float[])Span.ToArray());
}
