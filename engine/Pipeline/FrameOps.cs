using Reel.Engine.Tensors;

namespace Reel.Engine.Pipeline;

/// <summary>Small per-frame conversions the stages share.</summary>
public static class FrameOps
{
    /// <summary>A (1, 1, H, W) gray frame tiled to (1, 3, H, W); RGB frames are returned as they are.</summary>
    public static Tensor ToRgb(Tensor frame)
    {
        if (frame.Shape.C == 3) return frame;
        if (frame.Shape.C != 1) throw new ReelException($"frames must be gray or RGB, got {frame.Shape.C} channels");
        int plane = frame.Shape.H * frame.Shape.W;
        var rgb = new Tensor(new Shape(1, 3, frame.Shape.H, frame.Shape.W));
        for (int c = 0; c < 3; c++) Array.Copy(frame.Data, 0, rgb.Data, c * plane, plane);
        return rgb;
    }

    /// <summary>Clamps every value to [0, 1] in place.</summary>
    public static void Clamp01(Tensor t)
    {
        for (int i = 0; i < t.Length; i++) t.Data[i] = Math.Clamp(t.Data[i], 0f, 1f);
    }
}
