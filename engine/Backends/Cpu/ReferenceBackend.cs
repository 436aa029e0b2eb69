using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// The oracle: plain scalar loops that follow each op's definition, accumulating in double.
/// Never optimized; the fast CPU path and the CUDA kernels are checked against it.
/// </summary>
public sealed class ReferenceBackend : IBackend
{
    public static readonly ReferenceBackend Instance = new();

    public string Name => "cpu-reference";

    public bool Supports(Op op) => op is Conv2dOp or AffineOp or ReluOp or SubtractOp or ClampOp;

    public IPreparedOp Prepare(Op op, params Tensor[] parameters)
    {
        BackendExtensions.CheckParameters(op, parameters);
        return new Prepared(op, parameters);
    }

    private sealed record Prepared(Op Op, Tensor[] Parameters) : IPreparedOp
    {
        public void RunInto(Tensor y, params Tensor[] x)
        {
            BackendExtensions.CheckOutput(Op, y, x);
            switch (Op)
            {
                case Conv2dOp c: Conv(c, x[0], Parameters[0], c.HasBias ? Parameters[1] : null, y); break;
                case AffineOp a: Affine(a, x[0], Parameters[0], Parameters[1], y); break;
                case ReluOp: Map(x[0], y, v => Math.Max(v, 0f)); break;
                case ClampOp cl: Map(x[0], y, v => Math.Min(Math.Max(v, cl.Min), cl.Max)); break;
                case SubtractOp:
                    for (int i = 0; i < y.Length; i++) y.Data[i] = x[0].Data[i] - x[1].Data[i];
                    break;
                default: throw new NotSupportedException($"{Op.GetType().Name} on {ReferenceBackend.Instance.Name}");
            }
        }
    }

    private static void Conv(Conv2dOp op, Tensor x, Tensor w, Tensor? b, Tensor y)
    {
        var s = x.Shape;
        var o = y.Shape;
        for (int n = 0; n < s.N; n++)
        for (int co = 0; co < o.C; co++)
        for (int oy = 0; oy < o.H; oy++)
        for (int ox = 0; ox < o.W; ox++)
        {
            double acc = b is null ? 0 : b.Data[co];
            for (int ci = 0; ci < s.C; ci++)
            for (int ky = 0; ky < op.KernelH; ky++)
            {
                int iy = oy * op.Stride - op.Padding + ky * op.Dilation;
                if (iy < 0 || iy >= s.H) continue;
                for (int kx = 0; kx < op.KernelW; kx++)
                {
                    int ix = ox * op.Stride - op.Padding + kx * op.Dilation;
                    if (ix < 0 || ix >= s.W) continue;
                    acc += (double)x.At(n, ci, iy, ix) * w.At(co, ci, ky, kx);
                }
            }
            y.At(n, co, oy, ox) = Activate((float)acc, op.Activation);
        }
    }

    private static void Affine(AffineOp op, Tensor x, Tensor scale, Tensor shift, Tensor y)
    {
        var s = x.Shape;
        for (int n = 0; n < s.N; n++)
        for (int c = 0; c < s.C; c++)
        for (int i = 0; i < s.H; i++)
        for (int j = 0; j < s.W; j++)
            y.At(n, c, i, j) = Activate((float)((double)x.At(n, c, i, j) * scale.Data[c] + shift.Data[c]), op.Activation);
    }

    private static void Map(Tensor x, Tensor y, Func<float, float> f)
    {
        for (int i = 0; i < y.Length; i++) y.Data[i] = f(x.Data[i]);
    }

    private static float Activate(float v, Activation a) => a == Activation.Relu ? Math.Max(v, 0f) : v;
}
