using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using System.Runtime.Intrinsics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Reel.Engine.Training;

/// <summary>
/// Gradients of the ops the U-Net uses, for batch 1 (one frame per step, as the reference
/// trains). Each takes the forward's saved tensors and the gradient of its output.
/// </summary>
public static class Backward
{
    /// <summary>
    /// A k×k conv, stride 1, padding k/2, dilation 1: accumulates ∂L/∂W (one GEMM, <see cref="ConvWeightGradient"/>)
    /// into <paramref name="dw"/> and ∂L/∂b into <paramref name="db"/> when given.
    /// </summary>
    public static void ConvWeights(Tensor x, Tensor dy, Tensor dw, Tensor? db)
    {
        int cout = dw.Shape[0], k = dw.Shape[2], h = x.Shape.H, wd = x.Shape.W, plane = h * wd;
        if (x.Shape.N != 1 || x.Shape.C != dw.Shape[1] || dy.Shape.C != cout || dy.Shape.H != h || dy.Shape.W != wd)
            throw new ArgumentException($"conv backward: x {x.Shape}, dw {dw.Shape}, dy {dy.Shape} do not fit");
        ConvWeightGradient.Accumulate(x, dy, k, dw);
        if (db is not null)
            for (int co = 0; co < cout; co++) db.Data[co] += TensorPrimitives.Sum(dy.Data.AsSpan(co * plane, plane));
    }

    /// <summary>
    /// ∂L/∂x of the same conv: the convolution of dy with the weights flipped and transposed, run on
    /// <paramref name="backend"/> (default: the fast path in its training precision).
    /// </summary>
    public static Tensor ConvInput(Tensor w, Tensor dy, IBackend? backend = null)
    {
        int cout = w.Shape[0], cin = w.Shape[1], k = w.Shape[2];
        if (dy.Shape.N != 1 || dy.Shape.C != cout)
            throw new ArgumentException($"conv backward: w {w.Shape}, dy {dy.Shape} do not fit");
        var flipped = new Tensor(new Shape(cin, cout, k, k));
        for (int co = 0; co < cout; co++)
        for (int ci = 0; ci < cin; ci++)
        for (int i = 0; i < k * k; i++)
            flipped.Data[(ci * cout + co) * k * k + (k * k - 1 - i)] = w.Data[(co * cin + ci) * k * k + i];
        var op = new Conv2dOp(cout, cin, k, k, 1, k / 2, 1, HasBias: false);
        return (backend ?? FastBackend.Training).Prepare(op, flipped).Run(dy);
    }

    /// <summary>ReLU: keeps the gradient where the forward output was positive (PyTorch's rule), in place.</summary>
    public static void Relu(Tensor dy, Tensor y)
    {
        var g = dy.Span;
        var o = y.Span;
        int i = 0;
        for (; i + 8 <= g.Length; i += 8)
        {
            // GreaterThan is false for NaN, like !(o > 0) below.
            var keep = Vector256.GreaterThan(Vector256.Create<float>(o.Slice(i, 8)), Vector256<float>.Zero);
            (Vector256.Create<float>(g.Slice(i, 8)) & keep).CopyTo(g.Slice(i, 8));
        }
        for (; i < g.Length; i++)
            if (!(o[i] > 0)) g[i] = 0;
    }

    /// <summary>Max-pool 2×2 stride 2: each window's gradient goes to its first maximum.</summary>
    public static Tensor MaxPool(Tensor x, Tensor dy)
    {
        var s = x.Shape;
        var o = dy.Shape;
        var dx = new Tensor(s);
        Parallel.For(0, s.N * s.C, p =>
        {
            var src = x.Data.AsSpan(p * s.H * s.W, s.H * s.W);
            var dst = dx.Data.AsSpan(p * s.H * s.W, s.H * s.W);
            var g = dy.Data.AsSpan(p * o.H * o.W, o.H * o.W);
            for (int i = 0; i < o.H; i++)
            for (int j = 0; j < o.W; j++)
            {
                int best = (2 * i) * s.W + 2 * j;
                for (int ky = 0; ky < 2; ky++)
                for (int kx = 0; kx < 2; kx++)
                {
                    int idx = (2 * i + ky) * s.W + 2 * j + kx;
                    if (src[idx] > src[best] || float.IsNaN(src[idx])) best = idx;
                }
                dst[best] += g[i * o.W + j];
            }
        });
        return dx;
    }

    /// <summary>Bilinear resize: the transpose of the forward interpolation (each output scatters to its four sources).</summary>
    public static Tensor Resize(Tensor dy, int inH, int inW, bool alignCorners)
    {
        var o = dy.Shape;
        var dx = new Tensor(new Shape(o.N, o.C, inH, inW));
        // The source indices and weights of every output row and column, once, not per pixel.
        var rows = Enumerable.Range(0, o.H).Select(oy => ReferenceBackend.SourceIndex(oy, inH, o.H, alignCorners)).ToArray();
        var cols = Enumerable.Range(0, o.W).Select(ox => ReferenceBackend.SourceIndex(ox, inW, o.W, alignCorners)).ToArray();
        Parallel.For(0, o.N * o.C, p =>
        {
            var g = dy.Data.AsSpan(p * o.H * o.W, o.H * o.W);
            var dst = dx.Data.AsSpan(p * inH * inW, inH * inW);
            for (int oy = 0; oy < o.H; oy++)
            {
                var (y0, y1, fy) = rows[oy];
                for (int ox = 0; ox < o.W; ox++)
                {
                    var (x0, x1, fx) = cols[ox];
                    float v = g[oy * o.W + ox];
                    dst[y0 * inW + x0] += (float)(v * (1 - fy) * (1 - fx));
                    dst[y0 * inW + x1] += (float)(v * (1 - fy) * fx);
                    dst[y1 * inW + x0] += (float)(v * fy * (1 - fx));
                    dst[y1 * inW + x1] += (float)(v * fy * fx);
                }
            }
        });
        return dx;
    }

    /// <summary>Channel concat (N = 1): splits the gradient into the first <paramref name="channelsA"/> channels and the rest.</summary>
    public static (Tensor A, Tensor B) Concat(Tensor dy, int channelsA)
    {
        var s = dy.Shape;
        int plane = s.H * s.W;
        var a = new Tensor(new Shape(1, channelsA, s.H, s.W));
        var b = new Tensor(new Shape(1, s.C - channelsA, s.H, s.W));
        Array.Copy(dy.Data, 0, a.Data, 0, a.Length);
        Array.Copy(dy.Data, channelsA * plane, b.Data, 0, b.Length);
        return (a, b);
    }
}
