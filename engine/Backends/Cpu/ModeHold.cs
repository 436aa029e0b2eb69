using Reel.Engine.Ops;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// <see cref="ModeHoldOp"/> for rows of one frame. Per pixel independent, so the reference runs it on
/// one thread and the fast backend over rows in parallel, same bits (kernels/mode_hold.cu too: every
/// product and sum is rounded on its own, no fused multiply-add).
/// </summary>
internal static class ModeHold
{
    /// <summary>Rows [rowStart, rowEnd): p (C, H, W), state (C + 1, H, W), confidence (H, W) → y (C + 1, H, W).</summary>
    public static void Rows(ModeHoldOp op, ReadOnlySpan<float> p, ReadOnlySpan<float> state, ReadOnlySpan<float> confidence, Span<float> y,
        int channels, int height, int width, int rowStart, int rowEnd)
    {
        int plane = height * width;
        float floor = op.MinJump * op.MinJump, relative = op.Relative * op.Relative;
        for (int i = rowStart * width; i < rowEnd * width; i++)
        {
            float pp = 0f, ss = 0f, dd = 0f;
            for (int c = 0; c < channels; c++)
            {
                float a = p[c * plane + i], b = state[c * plane + i], d = a - b;
                pp += a * a;
                ss += b * b;
                dd += d * d;
            }
            bool agree = confidence[i] < 0.5f || dd <= MathF.Max(floor, relative * MathF.Max(pp, ss));
            float held = state[channels * plane + i];
            bool take = agree || held + 1f >= op.Patience;
            for (int c = 0; c < channels; c++)
                y[c * plane + i] = take ? p[c * plane + i] : state[c * plane + i];
            y[channels * plane + i] = take ? 0f : held + 1f;
        }
    }
}
