using System.Runtime.Intrinsics;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// <see cref="AdamStepOp"/> eight elements at a time on every core: the same float operations in
/// the same order as the reference's scalar loop (separate multiply and add: no FMA contraction),
/// so the result is bit-identical to it and to PyTorch's float32 update.
/// </summary>
internal sealed class FastAdam(AdamStepOp op) : IPreparedOp
{
    private const int Chunk = 65536;

    public Op Op => op;
    public bool WritesWholeOutput => true;

    public void RunInto(Tensor y, params Tensor[] activations)
    {
        BackendExtensions.CheckOutput(op, y, activations);
        var (pd, gd, m, v, yd) = (activations[0].Data, activations[1].Data, activations[2].Data, activations[3].Data, y.Data);
        int n = y.Length;
        float stepSize = activations[4].Data[0], bc2Sqrt = activations[4].Data[1];
        float b1 = op.Beta1, b2 = op.Beta2, oneMinusB1 = 1 - op.Beta1, oneMinusB2 = 1 - op.Beta2, eps = op.Epsilon;
        Parallel.For(0, (n + Chunk - 1) / Chunk, chunk =>
        {
            int end = Math.Min(n, (chunk + 1) * Chunk), i = chunk * Chunk;
            var vb1 = Vector256.Create(b1);
            var vb2 = Vector256.Create(b2);
            var v1 = Vector256.Create(oneMinusB1);
            var v2 = Vector256.Create(oneMinusB2);
            var vbc = Vector256.Create(bc2Sqrt);
            var veps = Vector256.Create(eps);
            var vstep = Vector256.Create(stepSize);
            for (; i + 8 <= end; i += 8)
            {
                var gi = Vector256.Create<float>(gd.AsSpan(i, 8));
                var mi = Vector256.Create<float>(m.AsSpan(i, 8)) * vb1 + gi * v1;
                var vi = Vector256.Create<float>(v.AsSpan(i, 8)) * vb2 + gi * gi * v2;
                var denom = Vector256.Sqrt(vi) / vbc + veps;
                var pi = Vector256.Create<float>(pd.AsSpan(i, 8)) - vstep * (mi / denom);
                mi.CopyTo(m.AsSpan(i, 8));
                vi.CopyTo(v.AsSpan(i, 8));
                pi.CopyTo(yd.AsSpan(i, 8));
            }
            for (; i < end; i++)
            {
                m[i] = m[i] * b1 + gd[i] * oneMinusB1;
                v[i] = v[i] * b2 + gd[i] * gd[i] * oneMinusB2;
                float denom = MathF.Sqrt(v[i]) / bc2Sqrt + eps;
                yd[i] = pd[i] - stepSize * (m[i] / denom);
            }
        });
    }
}
