using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// The annealed mean over a chunk of pixels at a time, vectorized across pixels: running max
/// over the Q logit planes, then exp((z − max)/T) accumulated into Σe, Σe·a_q and Σe·b_q.
/// Subtracting the max keeps every exponent ≤ 0, so large logits and small T cannot overflow.
/// </summary>
internal sealed class FastAnnealedMean : IPreparedOp
{
    private const int Chunk = 512;
    private readonly AnnealedMeanOp _op;
    private readonly float[] _centres; // (2, Q)

    public FastAnnealedMean(AnnealedMeanOp op, Tensor centres)
    {
        _op = op;
        _centres = centres.Span.ToArray();
    }

    public Op Op => _op;

    public void RunInto(Tensor y, params Tensor[] activations)
    {
        BackendExtensions.CheckOutput(_op, y, activations);
        var z = activations[0];
        int q = _op.Bins, plane = z.Shape.H * z.Shape.W;
        float invT = 1f / _op.Temperature;
        int chunks = (plane + Chunk - 1) / Chunk;
        Parallel.For(0, z.Shape.N * chunks, job =>
        {
            int n = job / chunks, p0 = job % chunks * Chunk, len = Math.Min(Chunk, plane - p0);
            Span<float> max = stackalloc float[len], e = stackalloc float[len];
            Span<float> sum = stackalloc float[len], a = stackalloc float[len], b = stackalloc float[len];
            var logits = z.Data.AsSpan(n * q * plane);
            logits.Slice(p0, len).CopyTo(max);
            for (int k = 1; k < q; k++) TensorPrimitives.Max(max, logits.Slice(k * plane + p0, len), max);
            sum.Clear(); a.Clear(); b.Clear();
            for (int k = 0; k < q; k++)
            {
                TensorPrimitives.Subtract(logits.Slice(k * plane + p0, len), max, e);
                TensorPrimitives.Multiply(e, invT, e);
                TensorPrimitives.Exp(e, e);
                TensorPrimitives.Add(sum, e, sum);
                TensorPrimitives.MultiplyAdd(e, _centres[k], a, a);
                TensorPrimitives.MultiplyAdd(e, _centres[q + k], b, b);
            }
            var outA = y.Data.AsSpan((n * 2) * plane + p0, len);
            var outB = y.Data.AsSpan((n * 2 + 1) * plane + p0, len);
            TensorPrimitives.Divide(a, sum, outA);
            TensorPrimitives.Divide(b, sum, outB);
        });
    }
}
