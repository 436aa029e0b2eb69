namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// Bilinear sampling with the edge repeated outside the plane, and the two flow ops built on it
/// (<see cref="Ops.WarpOp"/>, <see cref="Ops.FlowCheckOp"/>). Per pixel independent, so the fast
/// backend runs the same code over rows in parallel and gets the same bits.
/// </summary>
internal static class FlowSampling
{
    /// <summary>plane(x, y) bilinearly, each of the four taps clamped into the plane (OpenCV's BORDER_REPLICATE).</summary>
    public static float Bilinear(ReadOnlySpan<float> plane, int width, int height, float x, float y)
    {
        float fx = MathF.Floor(x), fy = MathF.Floor(y);
        float ax = x - fx, ay = y - fy;
        int x0 = (int)Math.Clamp(fx, -1f, width), y0 = (int)Math.Clamp(fy, -1f, height);
        int xa = Math.Clamp(x0, 0, width - 1), xb = Math.Clamp(x0 + 1, 0, width - 1);
        int ya = Math.Clamp(y0, 0, height - 1), yb = Math.Clamp(y0 + 1, 0, height - 1);
        float top = plane[ya * width + xa] * (1 - ax) + plane[ya * width + xb] * ax;
        float bottom = plane[yb * width + xa] * (1 - ax) + plane[yb * width + xb] * ax;
        return top * (1 - ay) + bottom * ay;
    }

    /// <summary>Rows [rowStart, rowEnd) of y = x(p + flow(p)) for every channel of one frame: x (C, H, W), flow (2, H, W).</summary>
    public static void WarpRows(ReadOnlySpan<float> x, ReadOnlySpan<float> flow, Span<float> y, int channels, int height, int width, int rowStart, int rowEnd)
    {
        int plane = height * width;
        for (int i = rowStart; i < rowEnd; i++)
        for (int j = 0; j < width; j++)
        {
            int p = i * width + j;
            float sx = j + flow[p], sy = i + flow[plane + p];
            for (int c = 0; c < channels; c++)
                y[c * plane + p] = Bilinear(x.Slice(c * plane, plane), width, height, sx, sy);
        }
    }

    /// <summary>Rows [rowStart, rowEnd) of the forward–backward check of one frame's flows: back, forward (2, H, W) → mask (H, W).</summary>
    public static void CheckRows(ReadOnlySpan<float> back, ReadOnlySpan<float> forward, Span<float> mask, int height, int width, int rowStart, int rowEnd)
    {
        int plane = height * width;
        var fx = forward[..plane];
        var fy = forward.Slice(plane, plane);
        for (int i = rowStart; i < rowEnd; i++)
        for (int j = 0; j < width; j++)
        {
            int p = i * width + j;
            float bx = back[p], by = back[plane + p];
            float ax = Bilinear(fx, width, height, j + bx, i + by), ay = Bilinear(fy, width, height, j + bx, i + by);
            float lx = bx + ax, ly = by + ay;
            float loop = lx * lx + ly * ly;
            float bound = 0.01f * (bx * bx + by * by + ax * ax + ay * ay) + 0.5f;
            mask[p] = loop <= bound ? 1f : 0f;
        }
    }
}
