using Reel.Engine.Backends;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Models;

/// <summary>Frames as the colour networks take them: three channels, on the backend that runs them.</summary>
internal static class RgbFrame
{
    /// <summary>
    /// <paramref name="frame"/> (N, 1|3, H, W) in <paramref name="backend"/>'s memory as RGB: imported as it is when
    /// it has three channels, its gray plane repeated when it has one. The caller disposes the result (never the frame).
    /// </summary>
    public static Tensor On(IBackend backend, Tensor frame)
    {
        if (frame.Shape.C == 3) return backend.Import(frame);
        if (frame.Shape.C != 1) throw new ReelException($"frames must be gray or RGB, got {frame.Shape.C} channels");
        using var gray = backend.Import(frame);
        return backend.Execute(new ExpandChannelsOp(3), gray);
    }
}
