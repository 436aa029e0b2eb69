using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cpu;

/// <summary>Bilinear resize with the source indices and weights tabulated once per call, planes in parallel.</summary>
internal sealed class FastResize : IPreparedOp
{
    private readonly ResizeBilinearOp _op;

    public FastResize(ResizeBilinearOp op) => _op = op;

    public Op Op => _op;

    public void RunInto(Tensor y, params Tensor[] activations)
    {
        BackendExtensions.CheckOutput(_op, y, activations);
        var x = activations[0];
        var s = x.Shape;
        var (ry0, ry1, fy) = Table(s.H, _op.OutH);
        var (rx0, rx1, fx) = Table(s.W, _op.OutW);
        int inPlane = s.H * s.W, outPlane = _op.OutH * _op.OutW;
        Parallel.For(0, s.N * s.C, p =>
        {
            var src = x.Data.AsSpan(p * inPlane, inPlane);
            var dst = y.Data.AsSpan(p * outPlane, outPlane);
            for (int oy = 0; oy < _op.OutH; oy++)
            {
                int top = ry0[oy] * s.W, bottom = ry1[oy] * s.W;
                float wy = fy[oy];
                for (int ox = 0; ox < _op.OutW; ox++)
                {
                    float wx = fx[ox];
                    float t = src[top + rx0[ox]] + (src[top + rx1[ox]] - src[top + rx0[ox]]) * wx;
                    float b = src[bottom + rx0[ox]] + (src[bottom + rx1[ox]] - src[bottom + rx0[ox]]) * wx;
                    dst[oy * _op.OutW + ox] = t + (b - t) * wy;
                }
            }
        });
    }

    private (int[] I0, int[] I1, float[] Frac) Table(int inSize, int outSize)
    {
        var i0 = new int[outSize];
        var i1 = new int[outSize];
        var f = new float[outSize];
        for (int o = 0; o < outSize; o++)
        {
            var (a, b, frac) = ReferenceBackend.SourceIndex(o, inSize, outSize, _op.AlignCorners);
            (i0[o], i1[o], f[o]) = (a, b, (float)frac);
        }
        return (i0, i1, f);
    }
}
