using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// The fast CPU path: convolutions as a packed, register-blocked SIMD GEMM on all cores
/// (<see cref="FastConv2d"/>), elementwise ops through TensorPrimitives. Checked against
/// <see cref="ReferenceBackend"/> by the backend-ops tests.
/// </summary>
public sealed class FastBackend : IBackend
{
    public static readonly FastBackend Instance = new();

    public string Name => "cpu";

    public bool Supports(Op op) =>
        op is Conv2dOp or ConvTranspose2dOp or AffineOp or ReluOp or SubtractOp or ClampOp or ResizeBilinearOp or AnnealedMeanOp;

    public IPreparedOp Prepare(Op op, params Tensor[] parameters)
    {
        BackendExtensions.CheckParameters(op, parameters);
        return op switch
        {
            Conv2dOp c => new FastConv2d(c, parameters[0], c.HasBias ? parameters[1] : null),
            ConvTranspose2dOp t => new FastConvTranspose2d(t, parameters[0], t.HasBias ? parameters[1] : null),
            ResizeBilinearOp r => new FastResize(r),
            AnnealedMeanOp m => new FastAnnealedMean(m, parameters[0]),
            _ when Supports(op) => new Elementwise(op, parameters),
            _ => throw new NotSupportedException($"{op.GetType().Name} on {Name}"),
        };
    }

    private sealed record Elementwise(Op Op, Tensor[] Parameters) : IPreparedOp
    {
        public void RunInto(Tensor y, params Tensor[] x)
        {
            BackendExtensions.CheckOutput(Op, y, x);
            switch (Op)
            {
                case ReluOp: TensorPrimitives.Max(x[0].Span, 0f, y.Span); break;
                case SubtractOp: TensorPrimitives.Subtract(x[0].Span, x[1].Span, y.Span); break;
                case ClampOp c:
                    TensorPrimitives.Max(x[0].Span, c.Min, y.Span);
                    TensorPrimitives.Min(y.Span, c.Max, y.Span);
                    break;
                case AffineOp a:
                    int plane = y.Shape.H * y.Shape.W;
                    for (int n = 0; n < y.Shape.N; n++)
                    for (int ch = 0; ch < a.Channels; ch++)
                    {
                        int o = (n * a.Channels + ch) * plane;
                        var dst = y.Data.AsSpan(o, plane);
                        TensorPrimitives.Multiply(x[0].Data.AsSpan(o, plane), Parameters[0].Data[ch], dst);
                        TensorPrimitives.Add(dst, Parameters[1].Data[ch], dst);
                        if (a.Activation == Activation.Relu) TensorPrimitives.Max(dst, 0f, dst);
                    }
                    break;
            }
        }
    }
}
