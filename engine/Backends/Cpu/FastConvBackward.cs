using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// The gradients of a k×k stride-1 "same" convolution (odd k, padding k/2, dilation 1: every conv
/// of the U-Net) on the fast path; other convolutions' gradients run the reference's loops.
/// ∂x is the convolution of dy with the weights transposed and flipped, run by the forward's
/// GEMM paths; ∂W is <see cref="WinogradWeightGradient"/> where the forward runs through F(4,3),
/// else <see cref="ConvWeightGradient"/>'s dot products along the pixels; ∂b the plane sums.
/// </summary>
internal static class FastConvBackward
{
    /// <summary>Whether the fast gradients apply to <paramref name="forward"/>.</summary>
    public static bool IsSame(Conv2dOp forward) =>
        forward.Stride == 1 && forward.Dilation == 1 && forward.KernelH == forward.KernelW && forward.KernelH % 2 == 1
        && forward.Padding == forward.KernelH / 2;

    /// <summary>
    /// ∂x as a convolution from Cout to Cin channels, its weights (W transposed in its channels and
    /// rotated 180°) packed or transformed straight from W, with no rotated copy in between.
    /// </summary>
    public static IPreparedOp Data(Conv2dBackwardDataOp op, Tensor w, FastBackend backend)
    {
        var f = op.Forward;
        var transposed = new Conv2dOp(f.OutChannels, f.InChannels, f.KernelH, f.KernelW, 1, f.KernelH / 2, 1, HasBias: false);
        var path = backend.ChooseConv(transposed, op.InputH * op.InputW);
        return new As(op, FastBackend.PrepareConv(transposed, w, null, path, transposedFlipped: true));
    }

    /// <summary>The convolution that computes a backward op, answering as that op.</summary>
    private sealed class As(Op op, IPreparedOp inner) : IPreparedOp
    {
        public Op Op => op;
        public bool WritesWholeOutput => inner.WritesWholeOutput;

        public void RunInto(Tensor output, params Tensor[] activations)
        {
            BackendExtensions.CheckOutput(op, output, activations);
            inner.RunInto(output, activations);
        }
    }

    /// <summary>
    /// ∂W (written over, never added to) for one frame at a time: by Winograd where the backend runs
    /// the forward conv on that map through F(4,3) and the channels make it pay, else by dot products;
    /// a batch runs the reference's loops.
    /// </summary>
    public sealed class Weight(Conv2dBackwardWeightOp op, FastBackend backend) : IPreparedOp
    {
        public Op Op => op;
        public bool WritesWholeOutput => true;

        public void RunInto(Tensor dw, params Tensor[] activations)
        {
            BackendExtensions.CheckOutput(op, dw, activations);
            var (x, dy) = (activations[0], activations[1]);
            if (x.Shape.N != 1) ReferenceBackend.Instance.Prepare(op).RunInto(dw, activations);
            else if (backend.ChooseConv(op.Forward, x.Shape.H * x.Shape.W) == ConvPath.WinogradF4
                     && WinogradWeightGradient.Applicable(op.Forward) && WinogradWeightGradient.Pays(op.Forward))
                WinogradWeightGradient.Compute(x, dy, dw);
            else ConvWeightGradient.Accumulate(x, dy, op.Forward.KernelH, dw, accumulate: false);
        }
    }

    /// <summary>∂b: each channel's plane summed in float (TensorPrimitives' order), frame after frame, from 0.</summary>
    public sealed class Bias(Conv2dBackwardBiasOp op) : IPreparedOp
    {
        public Op Op => op;
        public bool WritesWholeOutput => true;

        public void RunInto(Tensor db, params Tensor[] activations)
        {
            BackendExtensions.CheckOutput(op, db, activations);
            var dy = activations[0];
            int plane = dy.Shape.H * dy.Shape.W;
            for (int c = 0; c < op.Channels; c++)
            {
                float sum = 0f;
                for (int n = 0; n < dy.Shape.N; n++) sum += TensorPrimitives.Sum(dy.Data.AsSpan((n * op.Channels + c) * plane, plane));
                db.Data[c] = sum;
            }
        }
    }
}
