namespace Reel.Engine.Tensors;

/// <summary>An immutable tensor shape; for images always NCHW.</summary>
public sealed class Shape : IEquatable<Shape>
{
    private readonly int[] _dims;

    /// <summary>The shape with these dimensions (outermost first); a negative one is an error.</summary>
    public Shape(params int[] dims)
    {
        foreach (var d in dims)
            if (d < 0) throw new ArgumentException($"negative dimension in shape ({string.Join(", ", dims)})");
        _dims = (int[])dims.Clone();
    }

    /// <summary>The number of dimensions.</summary>
    public int Rank => _dims.Length;
    /// <summary>Dimension <paramref name="i"/>, outermost first.</summary>
    public int this[int i] => _dims[i];
    /// <summary>All dimensions, outermost first.</summary>
    public ReadOnlySpan<int> Dims => _dims;

    /// <summary>The product of the dimensions (1 for rank 0).</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in _dims) n *= d;
            return n;
        }
    }

    /// <summary>Dimension 0 of an NCHW shape: the batch.</summary>
    public int N => _dims[0];
    /// <summary>Dimension 1 of an NCHW shape: the channels.</summary>
    public int C => _dims[1];
    /// <summary>Dimension 2 of an NCHW shape: the height.</summary>
    public int H => _dims[2];
    /// <summary>Dimension 3 of an NCHW shape: the width.</summary>
    public int W => _dims[3];

    /// <summary>Whether <paramref name="other"/> has the same dimensions.</summary>
    public bool Equals(Shape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);
    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Shape);
    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in _dims) h.Add(d);
        return h.ToHashCode();
    }

    /// <summary>The dimensions as PyTorch prints a size: "(1, 3, 256, 256)".</summary>
    public override string ToString() => "(" + string.Join(", ", _dims) + ")";
}
