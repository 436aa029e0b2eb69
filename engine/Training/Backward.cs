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
    /// A k×k conv, stride 1, padding k/2, dilation 1: adds ∂L/∂W (dot products along the pixels, <see cref="ConvWeightGradient"/>)
    /// to <paramref name="dw"/> and ∂L/∂b to <paramref name="db"/> when given, or with <paramref name="accumulate"/> false
    /// writes them over whatever is there (bit for bit what adding to zeroed tensors gives, without zeroing them first).
    /// </summary>
    public static void ConvWeights(Tensor x, Tensor dy, Tensor dw, Tensor? db, bool accumulate = true)
    {
        int cout = dw.Shape[0], k = dw.Shape[2], h = x.Shape.H, wd = x.Shape.W, plane = h * wd;
        if (x.Shape.N != 1 || x.Shape.C != dw.Shape[1] || dy.Shape.C != cout || dy.Shape.H != h || dy.Shape.W != wd)
            throw new ArgumentException($"conv backward: x {x.Shape}, dw {dw.Shape}, dy {dy.Shape} do not fit");
        ConvWeightGradient.Accumulate(x, dy, k, dw, accumulate);
        if (db is not null)
            for (int co = 0; co < cout; co++) db.Data[co] = (accumulate ? db.Data[co] : 0f) + TensorPrimitives.Sum(dy.Data.AsSpan(co * plane, plane));
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
        var op = new Conv2dOp(cout, cin, k, k, 1, k / 2, 1, HasBias: false);
        var fast = backend as FastBackend ?? (backend is null ? FastBackend.Training : null);
        if (fast is not null && ConvPlan.Choose(op, fast.ConvPath, fast.Precise) is var path and (ConvPath.ImplicitGemm or ConvPath.Im2Col))
            return ((IPreparedOp)new FastConv2d(op, Sgemm.PackTransposedFlipped(w.Data, cout, cin, k * k), null, path)).Run(dy);
        var flipped = new Tensor(new Shape(cin, cout, k, k));
        int taps = k * k;
        Parallel.For(0, cin, ci =>
        {
            for (int co = 0; co < cout; co++)
            {
                int to = (ci * cout + co) * taps + taps - 1, from = (co * cin + ci) * taps;
                for (int i = 0; i < taps; i++) flipped.Data[to - i] = w.Data[from + i];
            }
        });
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

    /// <summary>
    /// Max-pool 2×2 stride 2: each window's gradient goes to the input the forward picked (its first
    /// maximum, a NaN counting as the maximum; <see cref="MaxPool2x2"/>), every other input gets 0.
    /// Windows do not overlap, so every input has at most one contribution and is written once.
    /// </summary>
    public static unsafe Tensor MaxPool(Tensor x, Tensor dy)
    {
        var s = x.Shape;
        var o = dy.Shape;
        // With an even height and width the windows cover every input, each written once.
        var dx = s.H % 2 == 0 && s.W % 2 == 0 ? Tensor.Uninitialized(s) : new Tensor(s);
        Parallel.For(0, s.N * s.C, p =>
        {
            fixed (float* src = &x.Data[p * s.H * s.W])
            fixed (float* dst = &dx.Data[p * s.H * s.W])
            fixed (float* g = &dy.Data[p * o.H * o.W])
                for (int i = 0; i < o.H; i++)
                    MaxPool2x2.Backward(src + 2 * i * s.W, src + (2 * i + 1) * s.W, g + i * o.W, dst + 2 * i * s.W, dst + (2 * i + 1) * s.W, o.W);
        });
        return dx;
    }

    /// <summary>
    /// Bilinear resize: the transpose of the forward interpolation (each output scatters to its
    /// four sources, in output order, each weight product in double as before rounding to float).
    /// </summary>
    public static unsafe Tensor Resize(Tensor dy, int inH, int inW, bool alignCorners)
    {
        var o = dy.Shape;
        var dx = new Tensor(new Shape(o.N, o.C, inH, inW));
        // The source indices and weights of every output row and column, once, not per pixel.
        var rows = Enumerable.Range(0, o.H).Select(oy => ReferenceBackend.SourceIndex(oy, inH, o.H, alignCorners)).ToArray();
        var x0s = new int[o.W];
        var x1s = new int[o.W];
        var wx = new double[2 * o.W];
        for (int ox = 0; ox < o.W; ox++)
        {
            var (a, b, f) = ReferenceBackend.SourceIndex(ox, inW, o.W, alignCorners);
            (x0s[ox], x1s[ox], wx[2 * ox], wx[2 * ox + 1]) = (a, b, 1 - f, f);
        }
        Parallel.For(0, o.N * o.C, p =>
        {
            fixed (float* g0 = &dy.Data[p * o.H * o.W])
            fixed (float* d0 = &dx.Data[p * inH * inW])
            fixed (int* xs0 = x0s)
            fixed (int* xs1 = x1s)
            fixed (double* w = wx)
            {
                for (int oy = 0; oy < o.H; oy++)
                {
                    var (y0, y1, fy) = rows[oy];
                    double wy0 = 1 - fy, wy1 = fy;
                    float* g = g0 + oy * o.W, top = d0 + y0 * inW, bottom = d0 + y1 * inW;
                    for (int ox = 0; ox < o.W; ox++)
                    {
                        double v = g[ox], t = v * wy0, b = v * wy1, w0 = w[2 * ox], w1 = w[2 * ox + 1];
                        int c0 = xs0[ox], c1 = xs1[ox];
                        top[c0] += (float)(t * w0);
                        top[c1] += (float)(t * w1);
                        bottom[c0] += (float)(b * w0);
                        bottom[c1] += (float)(b * w1);
                    }
                }
            }
        });
        return dx;
    }

    /// <summary>
    /// Channel concat (N = 1): the gradient of its first input is dy's first <paramref name="channels"/>
    /// channels, returned as a view of dy's buffer (no copy; it lives as long as dy).
    /// </summary>
    public static Tensor FirstChannels(Tensor dy, int channels) => new(new Shape(1, channels, dy.Shape.H, dy.Shape.W), dy.Data);

    /// <summary>Channel concat (N = 1): the gradient of its second input, dy's channels from <paramref name="first"/> on, in place.</summary>
    public static Span<float> ChannelsFrom(Tensor dy, int first)
    {
        int plane = dy.Shape.H * dy.Shape.W;
        return dy.Data.AsSpan(first * plane, (dy.Shape.C - first) * plane);
    }
}
