using System.Diagnostics;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// One op prepared on a <see cref="CudaBackend"/>: its parameters in device memory (views of device
/// tensors, or uploads it owns and frees when disposed) and the launch of its kernels or
/// convolution calls on the backend's stream. Host activations and outputs are staged across.
/// </summary>
internal sealed class CudaOp(CudaBackend backend, Op op, Tensor[] parameters) : IPreparedOp
{
    public Op Op => op;

    public bool WritesWholeOutput => true;

    /// <summary>
    /// The result on the device when every activation is there (a run of one frame's channels is a
    /// view, no copy); on the host, staged, when any activation is a host tensor.
    /// </summary>
    public Tensor Run(params Tensor[] activations)
    {
        var shape = op.InferShape(activations.Select(t => t.Shape).ToArray());
        if (activations.Any(a => a.IsOnHost))
        {
            var host = Tensor.Uninitialized(shape);
            RunInto(host, activations);
            return host;
        }
        if (op is SliceChannelsOp slice && shape.N == 1)
        {
            var x = activations[0];
            return new Tensor(shape, CudaStorage.View(backend, backend.PtrOf(x).Plus<float>((long)slice.Start * x.Shape.H * x.Shape.W)));
        }
        var y = backend.Allocate(shape);
        RunInto(y, activations);
        return y;
    }

    public void RunInto(Tensor output, params Tensor[] activations)
    {
        BackendExtensions.CheckOutput(op, output, activations);
        if (!output.IsOnHost && activations.All(a => !a.IsOnHost))
        {
            Launch(activations, output);
            return;
        }
        var staged = new List<Tensor>();
        try
        {
            var x = activations.Select(a => a.IsOnHost ? Stage(a, staged) : a).ToArray();
            var y = output.IsOnHost ? Keep(backend.Allocate(output.Shape), staged) : output;
            Launch(x, y);
            if (output.IsOnHost) CopyBack(y, output);
            // Adam's moments are updated in place: back to the host tensors they came from.
            if (op is AdamStepOp)
                for (int i = 2; i < 4; i++)
                    if (activations[i].IsOnHost) CopyBack(x[i], activations[i]);
            backend.Device.Synchronize(backend.Stream);
        }
        finally
        {
            foreach (var t in staged) t.Dispose();
        }
    }

    private void CopyBack(Tensor device, Tensor host)
    {
        backend.CountStaged();
        Debug.Assert(device.Shape.Equals(host.Shape));
        backend.Device.CopyToHostAndWait(host.Data.AsSpan(), backend.PtrOf(device), CudaBackend.Bytes(host.Shape), backend.Stream);
    }

    private Tensor Stage(Tensor host, List<Tensor> staged)
    {
        backend.CountStaged();
        return Keep(backend.Import(host), staged);
    }

    private static Tensor Keep(Tensor t, List<Tensor> staged)
    {
        staged.Add(t);
        return t;
    }

    private void Launch(Tensor[] x, Tensor y)
    {
        var k = backend.Kernels;
        var stream = backend.Stream;
        var s = x.Select(t => t.Shape).ToArray();
        var o = y.Shape;
        var xp = x.Select(backend.PtrOf).ToArray();
        var p = parameters.Select(backend.PtrOf).ToArray();
        var yp = backend.PtrOf(y);
        switch (op)
        {
            case Conv2dOp c:
                backend.Convolutions.Run(c, s[0], xp[0], p[0], c.HasBias ? p[1] : DevicePtr.Null, yp, stream);
                break;
            case ConvTranspose2dOp t:
                backend.Convolutions.Run(t, s[0], xp[0], p[0], t.HasBias ? p[1] : DevicePtr.Null, yp, stream);
                break;
            case ConvChainOp chain:
                backend.Convolutions.RunChain(chain, s[0], xp[0], p, yp, stream);
                // The layers' results never exist as float tensors to check one by one: the chain's result is checked.
                backend.EnsureFinite(y, $"{chain.Name} ({chain.Layers.Count} layers in one chain)");
                break;
            case Conv2dBackwardDataOp d:
                backend.Convolutions.BackwardData(d.Forward, o, xp[0], p[0], yp, stream);
                break;
            case Conv2dBackwardWeightOp w:
                backend.Convolutions.BackwardFilter(w.Forward, s[0], xp[0], xp[1], yp, stream);
                break;
            case Conv2dBackwardBiasOp:
            {
                var partials = backend.Pool.Rent(CudaKernels.ChannelSlices(s[0].N, s[0].C, s[0].H * s[0].W) * sizeof(double));
                k.ChannelSum(xp[0], yp, partials.Ptr, s[0].N, s[0].C, s[0].H * s[0].W, stream);
                // Stream order: the next user of this buffer runs after the finishing sum has read it.
                backend.Pool.Return(partials);
                break;
            }
            case AffineOp a:
                k.AffineActivation(xp[0], yp, p[0], p[1], a.Channels, o.H * o.W, o.ElementCount, a.Activation == Activation.Relu, stream);
                break;
            case ReluOp:
                k.AffineActivation(xp[0], yp, DevicePtr.Null, DevicePtr.Null, o.C, o.H * o.W, o.ElementCount, relu: true, stream);
                break;
            case SubtractOp:
                k.Subtract(xp[0], xp[1], yp, o.ElementCount, stream);
                break;
            case AddOp add:
                k.AddChannels(xp[0], xp[1], yp, o.N, o.C, s[1].C, add.SecondChannelOffset, o.H * o.W, stream);
                break;
            case ClampOp cl:
                k.Clamp(xp[0], yp, o.ElementCount, cl.Min, cl.Max, stream);
                break;
            case ResizeBilinearOp r:
                k.ResizeBilinear(xp[0], yp, s[0].N * s[0].C, s[0].H, s[0].W, r.OutH, r.OutW, r.AlignCorners, stream);
                break;
            case ResizeBilinearBackwardOp rb:
                k.ResizeBilinearBackward(xp[0], yp, o.N * o.C, o.H, o.W, s[0].H, s[0].W, rb.Forward.AlignCorners, stream);
                break;
            case AnnealedMeanOp m:
                k.AnnealedMean(xp[0], p[0], yp, o.N, m.Bins, o.H * o.W, m.Temperature, stream: stream);
                break;
            case MaxPool2dOp mp:
                k.MaxPool(xp[0], yp, s[0].N * s[0].C, s[0].H, s[0].W, o.H, o.W, mp.Kernel, mp.Stride, stream);
                break;
            case MaxPool2dBackwardOp mb:
                k.MaxPoolBackward(xp[0], xp[1], yp, o.N * o.C, o.H, o.W, s[1].H, s[1].W, mb.Forward.Kernel, mb.Forward.Stride, stream);
                break;
            case ConcatOp:
                k.ConcatChannels(xp[0], xp[1], yp, o.N, s[0].C, s[1].C, o.H * o.W, stream);
                break;
            case SliceChannelsOp sl:
            {
                long plane = (long)o.H * o.W, bytes = o.C * plane * sizeof(float);
                for (int n = 0; n < o.N; n++)
                    backend.Device.CopyDeviceToDevice(yp.Plus<float>(n * o.C * plane), xp[0].Plus<float>((n * (long)s[0].C + sl.Start) * plane), bytes, stream);
                break;
            }
            case ReluBackwardOp:
                if (yp != xp[0]) backend.Device.CopyDeviceToDevice(yp, xp[0], CudaBackend.Bytes(o), stream);
                k.ReluBackward(xp[1], yp, o.ElementCount, stream);
                break;
            case PriorLossOp l:
            {
                int blocks = CudaKernels.IrtPartialBlocks(s[0].H, s[0].W);
                var partials = backend.Pool.Rent(2L * blocks * sizeof(float));
                k.IrtLossPartials(xp[0], xp[1], xp[2], partials.Ptr, s[0].H, s[0].W, l.ValidH, l.ValidW, (int)l.Kind, stream);
                k.IrtLossReduce(partials.Ptr, blocks, (int)l.Kind, l.ValidH, l.ValidW, yp, stream);
                // Stream order: the next user of this buffer runs after the reduction has read it.
                backend.Pool.Return(partials);
                break;
            }
            case PriorLossBackwardOp lb:
            {
                var partials = backend.Pool.Rent(2L * CudaKernels.IrtPartialBlocks(s[0].H, s[0].W) * sizeof(float));
                k.IrtLossGrad(xp[0], xp[1], xp[2], yp, partials.Ptr, s[0].H, s[0].W, lb.ValidH, lb.ValidW, (int)lb.Kind, stream);
                backend.Pool.Return(partials);
                break;
            }
            case AdamStepOp adam:
                if (yp != xp[0]) backend.Device.CopyDeviceToDevice(yp, xp[0], CudaBackend.Bytes(o), stream);
                k.AdamStep(yp, xp[1], xp[2], xp[3], o.ElementCount, xp[4], adam.Beta1, adam.Beta2, adam.Epsilon, stream);
                break;
            case RgbToLabOp:
                k.RgbToLab(xp[0], yp, o.N, o.H * o.W, stream);
                break;
            case LabToRgbOp:
                k.LabToRgb(xp[0], yp, o.N, o.H * o.W, stream);
                break;
            case ChannelMomentsOp:
            {
                var partials = backend.Pool.Rent(3 * CudaKernels.ChannelSlices(s[0].N, s[0].C, s[0].H * s[0].W) * sizeof(double));
                k.ChannelMoments(xp[0], yp, partials.Ptr, s[0].N, s[0].C, s[0].H * s[0].W, stream);
                backend.Pool.Return(partials);
                break;
            }
            case RecolorOp:
                k.Recolor(xp[0], xp[1], yp, o.N, s[0].C, o.H * o.W, stream);
                break;
            case ExpandChannelsOp:
            {
                long plane = (long)o.H * o.W;
                for (int n = 0; n < o.N; n++)
                for (int c = 0; c < o.C; c++)
                    backend.Device.CopyDeviceToDevice(yp.Plus<float>((n * (long)o.C + c) * plane), xp[0].Plus<float>(n * plane), plane * sizeof(float), stream);
                break;
            }
            case PadReflectOp:
                k.PadReflect(xp[0], yp, o.N * o.C, s[0].H, s[0].W, o.H, o.W, stream);
                break;
            case DecimateOp d:
                CudaDecimate.Launch(backend.Device, xp[0], yp, o.N * o.C, s[0].H, s[0].W, d.Factor, stream);
                break;
            case Luma8Op:
                CudaLuma8.Launch(backend.Device, xp[0], yp, o.N, o.H * o.W, stream);
                break;
            case ThumbnailOp:
                CudaThumbnail.Launch(backend.Device, xp[0], yp, o.N, s[0].C, s[0].H, s[0].W, o.H, o.W, stream);
                break;
            case CropOp cr:
                k.CopyWindow(xp[0], yp, o.N * o.C, s[0].H, s[0].W, cr.Top, cr.Left, o.H, o.W, 0, 0, o.H, o.W, stream);
                break;
            case PasteOp pa:
                if (yp != xp[0]) backend.Device.CopyDeviceToDevice(yp, xp[0], CudaBackend.Bytes(o), stream);
                k.CopyWindow(xp[1], yp, o.N * o.C, s[1].H, s[1].W, 0, 0, o.H, o.W, pa.Top, pa.Left, s[1].H, s[1].W, stream);
                break;
            case ResizeBicubicOp:
            {
                var tmp = backend.Pool.Rent((long)o.N * o.C * s[0].H * o.W * sizeof(float));
                k.ResizeBicubic(xp[0], tmp.Ptr, yp, o.N * o.C, s[0].H, s[0].W, o.H, o.W, stream);
                backend.Pool.Return(tmp);
                break;
            }
            case OpticalFlowOp f:
            {
                var dis = new CudaDisFlow(backend.FlowKernels, backend.Pool, f);
                long plane = (long)o.H * o.W;
                for (int n = 0; n < o.N; n++)
                    dis.Compute(xp[0].Plus<float>(n * plane), xp[1].Plus<float>(n * plane), yp.Plus<float>(2 * n * plane), o.W, o.H);
                break;
            }
            case WarpOp:
                backend.FlowKernels.Warp(xp[0], xp[1], yp, o.N, o.C, o.H, o.W);
                break;
            case FlowCheckOp:
                backend.FlowKernels.FlowCheck(xp[0], xp[1], yp, o.N, o.H, o.W);
                break;
            case ModeHoldOp mh:
            {
                // Stream order keeps the table alive until the hold has read it.
                var table = backend.Pool.Rent(CudaFlowKernels.TableBytes(mh, o.N, s[0].C));
                backend.FlowKernels.ModeHold(mh, xp[0], xp[1], xp[2], table.Ptr, yp, o.N, s[0].C, o.H * o.W);
                backend.Pool.Return(table);
                break;
            }
            case ScreenedPoissonOp sp:
                ScreenedPoisson(sp, xp, yp, o);
                break;
            case FuseDistributionsOp fd:
                backend.FlowKernels.FuseDistributions(xp[0], xp[1], xp[2], yp, o.N, o.C, o.H * o.W, fd.Keep, fd.Temperature);
                break;
            default:
                throw new NotSupportedException($"{op.GetType().Name} on {backend.Name}");
        }
    }

    /// <summary>Cpu.ScreenedPoisson's sweeps, frame by frame, on the stream; scratch from the pool (stream order keeps it alive until the last sweep).</summary>
    private void ScreenedPoisson(ScreenedPoissonOp op, DevicePtr[] x, DevicePtr y, Shape o)
    {
        var k = backend.FlowKernels;
        long n = (long)o.H * o.W, padded = (long)(o.H + 2) * (o.W + 2);
        var diagonal = backend.Pool.Rent(n * sizeof(float));
        var rhs = backend.Pool.Rent(o.C * n * sizeof(float));
        var d = backend.Pool.Rent(o.C * padded * sizeof(float));
        for (int f = 0; f < o.N; f++)
        {
            var (p, t, c, of) = (x[0].Plus<float>(f * o.C * n), x[1].Plus<float>(f * o.C * n), x[2].Plus<float>(f * n), y.Plus<float>(f * o.C * n));
            k.PoissonSetup(p, t, c, diagonal.Ptr, rhs.Ptr, o.C, o.H, o.W, op.Lambda, op.Blend, op.Robust);
            backend.Device.Fill(d.Ptr, 0, o.C * padded * sizeof(float), backend.Stream);
            for (int it = 0; it < op.Iterations; it++)
            {
                k.PoissonSor(diagonal.Ptr, rhs.Ptr, d.Ptr, o.C, o.H, o.W, red: true);
                k.PoissonSor(diagonal.Ptr, rhs.Ptr, d.Ptr, o.C, o.H, o.W, red: false);
            }
            k.PoissonFinish(p, d.Ptr, of, o.C, o.H, o.W);
        }
        backend.Pool.Return(diagonal);
        backend.Pool.Return(rhs);
        backend.Pool.Return(d);
    }

    /// <summary>Frees the parameters it uploaded (views of device tensors free nothing).</summary>
    public void Dispose()
    {
        foreach (var t in parameters) t.Dispose();
    }
}
