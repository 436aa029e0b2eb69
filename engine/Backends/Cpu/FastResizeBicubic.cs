using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// <see cref="ResizeBicubicOp"/> (PIL's antialiased bicubic) separably, planes on every core: each
/// row across into a float row buffer, then down the columns; weights tabulated once per call
/// (<see cref="ReferenceBackend.BicubicWeights"/>), sums in double.
/// </summary>
internal sealed class FastResizeBicubic(ResizeBicubicOp op) : IPreparedOp
{
    public Op Op => op;
    public bool WritesWholeOutput => true;

    public void RunInto(Tensor y, params Tensor[] activations)
    {
        BackendExtensions.CheckOutput(op, y, activations);
        var x = activations[0];
        var s = x.Shape;
        int outH = op.OutH, outW = op.OutW;
        var (rowStart, rowWeights) = ReferenceBackend.BicubicWeights(s.H, outH);
        var (colStart, colWeights) = ReferenceBackend.BicubicWeights(s.W, outW);
        Parallel.For(0, s.N * s.C, p =>
        {
            var src = x.Data.AsSpan(p * s.H * s.W, s.H * s.W);
            var tmp = new float[s.H * outW];
            for (int r = 0; r < s.H; r++)
            for (int o = 0; o < outW; o++)
            {
                double acc = 0;
                var w = colWeights[o];
                for (int j = 0; j < w.Length; j++) acc += w[j] * src[r * s.W + colStart[o] + j];
                tmp[r * outW + o] = (float)acc;
            }
            var dst = y.Data.AsSpan(p * outH * outW, outH * outW);
            for (int o = 0; o < outH; o++)
            for (int c = 0; c < outW; c++)
            {
                double acc = 0;
                var w = rowWeights[o];
                for (int j = 0; j < w.Length; j++) acc += w[j] * tmp[(rowStart[o] + j) * outW + c];
                dst[o * outW + c] = (float)Math.Clamp(acc, 0, 1);
            }
        });
    }
}
