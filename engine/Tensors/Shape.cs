namespace Reel.Engine.Tensors;

/// <summary>An immutable tensor shape; for images always NCHW.</summary>
public sealed class Shape : IEquatable<Shape>
{
    private readonly int[] _dims;

    public Shape(params int[] dims)
    {
        foreach (var d in dims)
            if (d < 0) throw new ArgumentException($"negative dimension in shape ({string.Join(", ", dims)})");
        _dims = (int[])dims.Clone();
    }

    public int Rank => _dims.Length;
    public int this[int i] => _dims[i];
    public ReadOnlySpan<int> Dims => _dims;

    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in _dims) n *= d;
            return n;
        }
    }

    public int N => _dims[0];
    public int C => _dims[1];
    public int H => _dims[2];
    public int W => _dims[3];

    public bool Equals(Shape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);
    public override bool Equals(object? obj) => Equals(obj as Shape);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in _dims) h.Add(d);
        return h.ToHashCode();
    }

    public override string ToString() => "(" + string.Join(", ", _dims) + ")";
}
