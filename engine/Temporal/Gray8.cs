using Reel.Engine.Tensors;

namespace Reel.Engine.Temporal;

/// <summary>The 8-bit luma optical flow is computed on, as OpenCV's RGB2GRAY makes it from 8-bit RGB.</summary>
public static class Gray8
{
    /// <summary>(1, 3, H, W) RGB in [0, 1] → (1, 1, H, W) levels (4899 R + 9617 G + 1868 B + 2¹³) >> 14, divided by 255.</summary>
    public static Tensor FromRgb(Tensor rgb)
    {
        if (rgb.Shape.Rank != 4 || rgb.Shape.N != 1 || rgb.Shape.C != 3) throw new ArgumentException($"expected one RGB frame (1, 3, H, W), got {rgb.Shape}");
        int plane = rgb.Shape.H * rgb.Shape.W;
        var g = new Tensor(new Shape(1, 1, rgb.Shape.H, rgb.Shape.W));
        for (int p = 0; p < plane; p++)
        {
            int r = Level(rgb.Data[p]), gr = Level(rgb.Data[plane + p]), b = Level(rgb.Data[2 * plane + p]);
            g.Data[p] = ((4899 * r + 9617 * gr + 1868 * b + (1 << 13)) >> 14) / 255f;
        }
        return g;
    }

    /// <summary>[0, 1] → 0–255 as bench/temporal_score.py does: ⌊v·255 + 0.5⌋ clipped.</summary>
    public static int Level(float v) => (int)Math.Clamp(Math.Floor(v * 255.0 + 0.5), 0, 255);
}
