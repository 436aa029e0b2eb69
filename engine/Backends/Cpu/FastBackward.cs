using System.Diagnostics;
using System.Runtime.Intrinsics;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// The gradients of the U-Net's ReLU, 2×2 max-pool and bilinear resize on the fast path, planes in
/// parallel; other pool windows run the reference's loops. Each writes its whole output.
/// </summary>
// SAFETY: pointers only into planes pinned below; each fixed block states what it reads and writes.
internal sealed unsafe class FastBackward(Op op) : IPreparedOp
{
    public Op Op => op;
    public bool WritesWholeOutput => true;

    public void RunInto(Tensor y, params Tensor[] x)
    {
        BackendExtensions.CheckOutput(op, y, x);
        switch (op)
        {
            case ReluBackwardOp: Relu(x[0], x[1], y); break;
            case MaxPool2dBackwardOp { Forward: { Kernel: 2, Stride: 2 } }: MaxPool(x[0], x[1], y); break;
            case ResizeBilinearBackwardOp r: Resize(r, x[0], y); break;
            default: ReferenceBackend.Instance.Prepare(op).RunInto(y, x); break;
        }
    }

    /// <summary>Keeps the gradient where the forward output was positive (PyTorch's rule); may run in place (dx = dy).</summary>
    private static void Relu(Tensor dy, Tensor y, Tensor dx)
    {
        var g = dy.Span;
        var o = y.Span;
        var d = dx.Span;
        int i = 0;
        for (; i + 8 <= g.Length; i += 8)
        {
            // GreaterThan is false for NaN, like !(o > 0) below.
            var keep = Vector256.GreaterThan(Vector256.Create<float>(o.Slice(i, 8)), Vector256<float>.Zero);
            (Vector256.Create<float>(g.Slice(i, 8)) & keep).CopyTo(d.Slice(i, 8));
        }
        for (; i < g.Length; i++) d[i] = o[i] > 0 ? g[i] : 0;
    }

    /// <summary>
    /// Each window's gradient to the input the forward picked (<see cref="MaxPool2x2"/>), every other
    /// input 0. Windows do not overlap, so each input is written once; with an odd height or width the
    /// last row or column belongs to no window and stays 0.
    /// </summary>
    private static void MaxPool(Tensor x, Tensor dy, Tensor dx)
    {
        var s = x.Shape;
        var o = dy.Shape;
        if (s.H % 2 != 0 || s.W % 2 != 0) dx.Clear();
        Parallel.For(0, s.N * s.C, p =>
        {
            // SAFETY: window row i covers input rows 2i, 2i + 1 at columns < 2·o.W of plane p and reads o.W gradients of its row.
            Debug.Assert(2 * o.H <= s.H && 2 * o.W <= s.W && (p + 1) * s.H * s.W <= dx.Length && (p + 1) * o.H * o.W <= dy.Length);
            fixed (float* src = &x.Data[p * s.H * s.W])
            fixed (float* dst = &dx.Data[p * s.H * s.W])
            fixed (float* g = &dy.Data[p * o.H * o.W])
                for (int i = 0; i < o.H; i++)
                    MaxPool2x2.Backward(src + 2 * i * s.W, src + (2 * i + 1) * s.W, g + i * o.W, dst + 2 * i * s.W, dst + (2 * i + 1) * s.W, o.W);
        });
    }

    /// <summary>
    /// The transpose of the forward interpolation: each output scatters to its four sources in output
    /// order, each weight product in double, rounded to float as it is added.
    /// </summary>
    private static void Resize(ResizeBilinearBackwardOp op, Tensor dy, Tensor dx)
    {
        var o = dy.Shape;
        int inH = op.InputH, inW = op.InputW;
        bool align = op.Forward.AlignCorners;
        dx.Clear();
        // The source indices and weights of every output row and column, once, not per pixel.
        var rows = Enumerable.Range(0, o.H).Select(oy => ReferenceBackend.SourceIndex(oy, inH, o.H, align)).ToArray();
        var x0s = new int[o.W];
        var x1s = new int[o.W];
        var wx = new double[2 * o.W];
        for (int ox = 0; ox < o.W; ox++)
        {
            var (a, b, f) = ReferenceBackend.SourceIndex(ox, inW, o.W, align);
            (x0s[ox], x1s[ox], wx[2 * ox], wx[2 * ox + 1]) = (a, b, 1 - f, f);
        }
        // SAFETY: SourceIndex gives rows < inH and columns < inW, so every scatter stays in plane p of dx.
        Debug.Assert(rows.All(r => r.Item1 < inH && r.Item2 < inH) && x0s.All(c => c < inW) && x1s.All(c => c < inW));
        Parallel.For(0, o.N * o.C, p =>
        {
            Debug.Assert((p + 1) * inH * inW <= dx.Length && (p + 1) * o.H * o.W <= dy.Length);
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
    }
}
