using Reel.Engine.Ops;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// <see cref="FuseDistributionsOp"/> for one frame of Q planes of H·W pixels. The reference goes
/// pixel by pixel in double; the fast path goes plane by plane through TensorPrimitives (SIMD exp and
/// log across pixels) in float, which agrees to float rounding.
/// </summary>
internal static class DistributionFusion
{
    /// <summary>y (Q, HW) = log(max((1 − s)·p + s·F, floor)) with s = keep·c, p = softmax(z / T), F = softmax(previous) per pixel.</summary>
    public static void Reference(ReadOnlySpan<float> z, ReadOnlySpan<float> previous, ReadOnlySpan<float> c, Span<float> y, int bins, int plane, float keep, float temperature)
    {
        var p = new double[bins];
        var f = new double[bins];
        for (int k = 0; k < plane; k++)
        {
            Softmax(z, k, plane, bins, temperature, p);
            Softmax(previous, k, plane, bins, 1f, f);
            double share = keep * c[k];
            for (int q = 0; q < bins; q++)
                y[q * plane + k] = (float)Math.Log(Math.Max((1 - share) * p[q] + share * f[q], FuseDistributionsOp.Floor));
        }
    }

    private static void Softmax(ReadOnlySpan<float> x, int k, int plane, int bins, float temperature, double[] into)
    {
        double max = double.NegativeInfinity, sum = 0;
        for (int q = 0; q < bins; q++) max = Math.Max(max, x[q * plane + k]);
        for (int q = 0; q < bins; q++) sum += into[q] = Math.Exp((x[q * plane + k] - max) / temperature);
        for (int q = 0; q < bins; q++) into[q] /= sum;
    }

    /// <summary>The same, plane by plane with SIMD across pixels.</summary>
    public static void Fast(ReadOnlySpan<float> z, ReadOnlySpan<float> previous, ReadOnlySpan<float> c, Span<float> y, int bins, int plane, float keep, float temperature)
    {
        var p = new float[bins * plane];
        var f = new float[bins * plane];
        SoftmaxPlanes(z, p, bins, plane, temperature);
        SoftmaxPlanes(previous, f, bins, plane, 1f);
        var share = new float[plane];
        var rest = new float[plane];
        TensorPrimitives.Multiply(c[..plane], keep, share);
        TensorPrimitives.Subtract(1f, share, rest);
        for (int q = 0; q < bins; q++)
        {
            var pq = p.AsSpan(q * plane, plane);
            var fq = f.AsSpan(q * plane, plane);
            var yq = y.Slice(q * plane, plane);
            TensorPrimitives.Multiply(fq, share, yq);
            TensorPrimitives.MultiplyAdd(pq, rest, yq, yq);
            TensorPrimitives.Max(yq, FuseDistributionsOp.Floor, yq);
            TensorPrimitives.Log(yq, yq);
        }
    }

    private static void SoftmaxPlanes(ReadOnlySpan<float> x, float[] into, int bins, int plane, float temperature)
    {
        var max = new float[plane];
        var sum = new float[plane];
        x[..plane].CopyTo(max);
        for (int q = 1; q < bins; q++) TensorPrimitives.Max(max, x.Slice(q * plane, plane), max);
        for (int q = 0; q < bins; q++)
        {
            var e = into.AsSpan(q * plane, plane);
            TensorPrimitives.Subtract(x.Slice(q * plane, plane), max, e);
            TensorPrimitives.Divide(e, temperature, e);
            TensorPrimitives.Exp(e, e);
            TensorPrimitives.Add(sum, e, sum);
        }
        for (int q = 0; q < bins; q++) TensorPrimitives.Divide(into.AsSpan(q * plane, plane), sum, into.AsSpan(q * plane, plane));
    }
}
