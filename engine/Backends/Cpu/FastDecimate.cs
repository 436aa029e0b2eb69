using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// <see cref="DecimateOp"/> output row by output row on every core, over spans instead of the
/// reference's indexers; each block is summed in double in the reference's order, so the results
/// are the reference's bit for bit.
/// </summary>
internal sealed class FastDecimate(DecimateOp op) : IPreparedOp
{
    public Op Op => op;
    public bool WritesWholeOutput => true;

    public void RunInto(Tensor y, params Tensor[] activations)
    {
        BackendExtensions.CheckOutput(op, y, activations);
        var x = activations[0];
        var (s, o) = (x.Shape, y.Shape);
        int f = op.Factor;
        ParallelRows.For(o.N * o.C * o.H, (long)s.N * s.C * s.H * s.W, row =>
        {
            int plane = row / o.H, i = row % o.H;
            var src = x.Data.AsSpan(plane * s.H * s.W, s.H * s.W);
            var dst = y.Data.AsSpan(row * o.W, o.W);
            int rowEnd = Math.Min(s.H, (i + 1) * f);
            for (int j = 0; j < o.W; j++)
            {
                int colEnd = Math.Min(s.W, (j + 1) * f);
                double sum = 0;
                for (int a = i * f; a < rowEnd; a++)
                for (int b = j * f; b < colEnd; b++)
                    sum += src[a * s.W + b];
                dst[j] = (float)(sum / ((rowEnd - i * f) * (colEnd - j * f)));
            }
        });
    }
}
