using Reel.Engine.Ops;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// <see cref="ModeHoldOp"/> for one frame: the colour table of its tracked pixels (<see cref="Table"/>),
/// then the hold, per pixel independent, so the reference runs it on one thread and the fast backend
/// over rows in parallel, same bits (kernels/mode_hold.cu too: every product and sum is rounded on its
/// own, no fused multiply-add, and the table's sums are integers).
/// </summary>
internal static class ModeHold
{
    /// <summary>
    /// The table of one frame, p (C, H, W), state (C + 1, H, W), confidence (H, W): per colour bin of p,
    /// the tracked pixels, those of them that jumped, and the sum of their jumps S − P per plane in
    /// 1/<see cref="ModeHoldOp.JumpScale"/> units (2 + C longs a bin).
    /// </summary>
    public static long[] Table(ModeHoldOp op, ReadOnlySpan<float> p, ReadOnlySpan<float> state, ReadOnlySpan<float> confidence, int channels, int plane)
    {
        int stride = 2 + channels;
        var table = new long[op.BinCount(channels) * stride];
        for (int i = 0; i < plane; i++)
        {
            if (confidence[i] < 0.5f) continue;
            int at = Bin(op, p, i, channels, plane) * stride;
            table[at]++;
            if (!Jumped(op, p, state, i, channels, plane)) continue;
            table[at + 1]++;
            for (int c = 0; c < channels; c++) table[at + 2 + c] += Fixed(state[c * plane + i] - p[c * plane + i]);
        }
        return table;
    }

    /// <summary>Rows [rowStart, rowEnd): p (C, H, W), state (C + 1, H, W), confidence (H, W) and the frame's <see cref="Table"/> → y (C + 1, H, W).</summary>
    public static void Rows(ModeHoldOp op, ReadOnlySpan<float> p, ReadOnlySpan<float> state, ReadOnlySpan<float> confidence, ReadOnlySpan<long> table,
        Span<float> y, int channels, int height, int width, int rowStart, int rowEnd)
    {
        int plane = height * width, stride = 2 + channels;
        for (int i = rowStart * width; i < rowEnd * width; i++)
        {
            if (confidence[i] < 0.5f)
            {
                int at = Bin(op, p, i, channels, plane) * stride;
                long tracked = table[at], jumped = table[at + 1];
                bool other = tracked >= op.MinTracked && 2 * jumped > tracked;
                for (int c = 0; c < channels; c++)
                    y[c * plane + i] = other ? p[c * plane + i] + Mean(table[at + 2 + c], jumped) : p[c * plane + i];
                y[channels * plane + i] = other ? 1f : 0f;
                continue;
            }
            float held = state[channels * plane + i];
            bool take = !Jumped(op, p, state, i, channels, plane) || held + 1f >= op.Patience;
            for (int c = 0; c < channels; c++)
                y[c * plane + i] = take ? p[c * plane + i] : state[c * plane + i];
            y[channels * plane + i] = take ? 0f : held + 1f;
        }
    }

    /// <summary>Whether pixel i of p jumped from the state's colour.</summary>
    private static bool Jumped(ModeHoldOp op, ReadOnlySpan<float> p, ReadOnlySpan<float> state, int i, int channels, int plane)
    {
        float pp = 0f, ss = 0f, dd = 0f;
        for (int c = 0; c < channels; c++)
        {
            float a = p[c * plane + i], b = state[c * plane + i], d = a - b;
            pp += a * a;
            ss += b * b;
            dd += d * d;
        }
        return !(dd <= MathF.Max(op.MinJump * op.MinJump, op.Relative * op.Relative * MathF.Max(pp, ss)));
    }

    /// <summary>Pixel i's colour bin: per plane ⌊(v + range)·<see cref="ModeHoldOp.BinsPerUnit"/>⌋ within [0, bins), plane c weighing bins^c.</summary>
    private static int Bin(ModeHoldOp op, ReadOnlySpan<float> p, int i, int channels, int plane)
    {
        float inverse = op.BinsPerUnit;
        int key = 0, weight = 1;
        for (int c = 0; c < channels; c++)
        {
            float f = MathF.Floor((p[c * plane + i] + op.Range) * inverse);
            int k = !(f >= 0f) ? 0 : f >= op.Bins ? op.Bins - 1 : (int)f;
            key += k * weight;
            weight *= op.Bins;
        }
        return key;
    }

    /// <summary>A jump in fixed point, rounded to even and kept within ±2³² units so a frame's sum cannot overflow; a NaN jump adds 0.</summary>
    private static long Fixed(float d)
    {
        float q = MathF.Round(d * ModeHoldOp.JumpScale);
        return float.IsNaN(q) ? 0 : (long)Math.Clamp(q, -4294967296f, 4294967296f);
    }

    private static float Mean(long sum, long count) => (float)(sum / ((double)ModeHoldOp.JumpScale * count));
}
