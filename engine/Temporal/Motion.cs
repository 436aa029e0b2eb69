using Reel.Engine.Tensors;

namespace Reel.Engine.Temporal;

/// <summary>
/// How the current frame relates to the previous one: <see cref="Back"/> (1, 2, H, W) maps each pixel
/// of frame t to where it was in frame t − 1, and <see cref="Confidence"/> (1, 1, H, W) is 1 where
/// that mapping passed the forward–backward check, 0 where the pixel was occluded or uncovered.
/// It owns both (device memory on a GPU).
/// </summary>
public sealed record Motion(Tensor Back, Tensor Confidence) : IDisposable
{
    /// <summary>Frees both fields.</summary>
    public void Dispose()
    {
        Back.Dispose();
        Confidence.Dispose();
    }
}
