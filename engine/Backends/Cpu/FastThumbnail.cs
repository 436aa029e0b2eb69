using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// <see cref="ThumbnailOp"/> thumbnail row by thumbnail row on every core, over spans instead of the
/// reference's indexers; each box is summed in double in the reference's order (rows, columns,
/// channels), so the results, and the cuts decided on them, are the reference's bit for bit.
/// </summary>
internal sealed class FastThumbnail(ThumbnailOp op) : IPreparedOp
{
    public Op Op => op;
    public bool WritesWholeOutput => true;

    public void RunInto(Tensor y, params Tensor[] activations)
    {
        BackendExtensions.CheckOutput(op, y, activations);
        var x = activations[0];
        var (s, o) = (x.Shape, y.Shape);
        int plane = s.H * s.W;
        ParallelRows.For(o.N * o.H, (long)s.N * s.C * plane, row =>
        {
            int n = row / o.H, i = row % o.H;
            var frame = x.Data.AsSpan(n * s.C * plane, s.C * plane);
            var dst = y.Data.AsSpan(row * o.W, o.W);
            int rowStart = i * s.H / o.H, rowEnd = (i + 1) * s.H / o.H;
            for (int j = 0; j < o.W; j++)
            {
                int colStart = j * s.W / o.W, colEnd = (j + 1) * s.W / o.W;
                double sum = 0;
                for (int a = rowStart; a < rowEnd; a++)
                for (int b = a * s.W + colStart; b < a * s.W + colEnd; b++)
                for (int c = 0; c < s.C; c++)
                    sum += frame[c * plane + b];
                dst[j] = (float)(sum / ((rowEnd - rowStart) * (colEnd - colStart) * s.C));
            }
        });
    }
}
