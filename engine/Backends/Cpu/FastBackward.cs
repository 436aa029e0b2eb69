using System.Buffers;
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
    /// The transpose of the forward interpolation, separable, in float: each output row is added,
    /// weighted, into the two rows of a plane-sized scratch it was read from (whole rows at once),
    /// then each input column gathers, row by row, the scratch columns that read it (its sources
    /// and weights listed once). Scattering each output to its four sources in one pass made every
    /// add wait on the one before through memory: 3.3× slower at the U-Net's 128² → 256² step
    /// (64 planes: 8.0 against 2.4 ms on 2 cores).
    /// </summary>
    private static void Resize(ResizeBilinearBackwardOp op, Tensor dy, Tensor dx)
    {
        var o = dy.Shape;
        int inH = op.InputH, inW = op.InputW;
        bool align = op.Forward.AlignCorners;
        var rows = Enumerable.Range(0, o.H).Select(oy => ReferenceBackend.SourceIndex(oy, inH, o.H, align)).ToArray();
        // Input column ix reads the output columns sources[from[ix] .. from[ix + 1]) with those weights.
        var from = new int[inW + 1];
        var columns = Enumerable.Range(0, o.W).Select(ox => ReferenceBackend.SourceIndex(ox, inW, o.W, align)).ToArray();
        foreach (var (x0, x1, _) in columns)
        {
            from[x0 + 1]++;
            from[x1 + 1]++;
        }
        for (int ix = 0; ix < inW; ix++) from[ix + 1] += from[ix];
        var sources = new int[2 * o.W];
        var weights = new float[2 * o.W];
        var next = from[..inW];
        for (int ox = 0; ox < o.W; ox++)
        {
            var (x0, x1, f) = columns[ox];
            (sources[next[x0]], weights[next[x0]++]) = (ox, (float)(1 - f));
            (sources[next[x1]], weights[next[x1]++]) = (ox, (float)f);
        }
        Parallel.For(0, o.N * o.C, p =>
        {
            var scratch = ArrayPool<float>.Shared.Rent(inH * o.W);
            try
            {
                var rowSums = scratch.AsSpan(0, inH * o.W);
                rowSums.Clear();
                var g = dy.Data.AsSpan(p * o.H * o.W, o.H * o.W);
                for (int oy = 0; oy < o.H; oy++)
                {
                    var (y0, y1, fy) = rows[oy];
                    var src = g.Slice(oy * o.W, o.W);
                    var top = rowSums.Slice(y0 * o.W, o.W);
                    AddScaled(src, (float)(1 - fy), top);
                    var bottom = rowSums.Slice(y1 * o.W, o.W);
                    AddScaled(src, (float)fy, bottom);
                }
                var d = dx.Data.AsSpan(p * inH * inW, inH * inW);
                for (int iy = 0; iy < inH; iy++)
                {
                    var sums = rowSums.Slice(iy * o.W, o.W);
                    var dst = d.Slice(iy * inW, inW);
                    for (int ix = 0; ix < inW; ix++)
                    {
                        float v = 0;
                        for (int j = from[ix]; j < from[ix + 1]; j++) v += sums[sources[j]] * weights[j];
                        dst[ix] = v;
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(scratch);
            }
        });
    }

    /// <summary>y += a·x, fused. TensorPrimitives.MultiplyAdd, with y both addend and destination, took 6.2 ms over the 256² step's rows where this took 0.7 (one thread).</summary>
    private static void AddScaled(ReadOnlySpan<float> x, float a, Span<float> y)
    {
        var va = Vector256.Create(a);
        int i = 0;
        for (; i + 8 <= x.Length; i += 8)
            Vector256.FusedMultiplyAdd(Vector256.Create<float>(x.Slice(i, 8)), va, Vector256.Create<float>(y.Slice(i, 8))).CopyTo(y.Slice(i, 8));
        for (; i < x.Length; i++) y[i] = MathF.FusedMultiplyAdd(x[i], a, y[i]);
    }
}
