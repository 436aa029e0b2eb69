namespace Reel.Engine.Tensors;

/// <summary>
/// The elements of a tensor in memory a backend owns outside the managed heap (a GPU's). The
/// backend that made it computes on it; everything else reads it through <see cref="CopyTo"/>.
/// </summary>
public abstract class TensorStorage : IDisposable
{
    /// <summary>Where the elements are, for messages ("cuda", "cuda-emulated").</summary>
    public abstract string Location { get; }

    /// <summary>Copies the first <c>destination.Length</c> elements to the host, after the work that writes them.</summary>
    public abstract void CopyTo(Span<float> destination);

    /// <summary>A view of the same memory that frees nothing when disposed.</summary>
    public abstract TensorStorage Alias();

    /// <summary>Frees the memory, or returns it to whatever lent it; a view frees nothing.</summary>
    public abstract void Dispose();
}
