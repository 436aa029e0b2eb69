using Reel.Engine.Ops;

namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// DIS optical flow on the device: the steps of Cpu.DisFlow as kernels (kernels/dis.cu), in the
/// same order and with the same arithmetic, so the flow is the CPU reference's bit for bit. Frames
/// and flow stay on the device; the scratch planes of every scale come from the backend's pool and go
/// back to it when the call has queued its work: the pool lends only to the compute stream, where the
/// work runs, so the host need not wait for the flow (freeing device memory would make it wait).
/// </summary>
internal sealed class CudaDisFlow(CudaFlowKernels kernels, DevicePool pool, OpticalFlowOp op)
{
    private const int RefinementSorIterations = 5;

    /// <summary>flow (2, H, W) from the gray frames <paramref name="from"/> and <paramref name="to"/> (H, W) in [0, 1].</summary>
    public void Compute(DevicePtr from, DevicePtr to, DevicePtr flow, int width, int height)
    {
        var scratch = new List<DeviceBuffer>();
        try
        {
            DevicePtr Floats(long n)
            {
                var b = pool.Rent(n * sizeof(float));
                scratch.Add(b);
                return b.Ptr;
            }

            int finest = op.FinestScale, coarsest = op.CoarsestScale(width, height);
            var (q0, q1) = (Floats((long)width * height), Floats((long)width * height));
            kernels.Quantize(from, q0, width * height);
            kernels.Quantize(to, q1, width * height);
            var w = new int[coarsest + 1];
            var h = new int[coarsest + 1];
            var i0s = new DevicePtr[coarsest + 1];
            var i1s = new DevicePtr[coarsest + 1];
            for (int s = finest; s <= coarsest; s++)
            {
                var (sw, sh) = s == finest ? (width, height) : (w[s - 1], h[s - 1]);
                (w[s], h[s]) = s == finest ? (width >> finest, height >> finest) : (sw / 2, sh / 2);
                (i0s[s], i1s[s]) = (Floats((long)w[s] * h[s]), Floats((long)w[s] * h[s]));
                kernels.AreaResize(s == finest ? q0 : i0s[s - 1], i0s[s], sw, sh, w[s], h[s]);
                kernels.AreaResize(s == finest ? q1 : i1s[s - 1], i1s[s], sw, sh, w[s], h[s]);
            }

            var (ux, uy) = (Floats((long)w[coarsest] * h[coarsest]), Floats((long)w[coarsest] * h[coarsest]));
            kernels.Device.Fill(ux, 0, (long)w[coarsest] * h[coarsest] * sizeof(float), kernels.Stream);
            kernels.Device.Fill(uy, 0, (long)w[coarsest] * h[coarsest] * sizeof(float), kernels.Stream);
            for (int s = coarsest; s >= finest; s--)
            {
                int ws = w[s], hs = h[s], n = ws * hs;
                int stride = op.PatchStride, cols = 1 + (ws - OpticalFlowOp.PatchSize) / stride, rows = 1 + (hs - OpticalFlowOp.PatchSize) / stride;
                var (gx, gy) = (Floats(n), Floats(n));
                kernels.Sobel(i0s[s], gx, gy, ws, hs);
                var tensor = Enumerable.Range(0, 5).Select(_ => Floats((long)cols * rows)).ToArray();
                kernels.StructureTensor(gx, gy, tensor[0], tensor[1], tensor[2], tensor[3], tensor[4], ws, cols, rows, stride);
                var ext = Floats((long)(ws + 32) * (hs + 32));
                kernels.Extend(i1s[s], ext, ws, hs);
                var (sx, sy) = (Floats((long)cols * rows), Floats((long)cols * rows));
                kernels.PatchSearch(i0s[s], ext, gx, gy, tensor, ux, uy, sx, sy, ws, hs, cols, rows, stride, op.GradientIterations / 2);
                kernels.Densify(i0s[s], i1s[s], sx, sy, ux, uy, ws, hs, cols, rows, stride);
                if (op.RefinementIterations > 0) Refine(i0s[s], i1s[s], ux, uy, ws, hs, Floats);
                if (s > finest)
                {
                    var (nx, ny) = (Floats((long)w[s - 1] * h[s - 1]), Floats((long)w[s - 1] * h[s - 1]));
                    kernels.Upscale(ux, nx, ws, hs, w[s - 1], h[s - 1], 2f);
                    kernels.Upscale(uy, ny, ws, hs, w[s - 1], h[s - 1], 2f);
                    (ux, uy) = (nx, ny);
                }
                else
                {
                    kernels.Upscale(ux, flow, ws, hs, width, height, 1 << finest);
                    kernels.Upscale(uy, Plane(flow, 1, (long)width * height), ws, hs, width, height, 1 << finest);
                }
            }
        }
        finally
        {
            foreach (var b in scratch) pool.Return(b);
        }
    }

    /// <summary>Cpu.DisFlow's variational refinement of (u, v) in place.</summary>
    private void Refine(DevicePtr i0, DevicePtr i1, DevicePtr u, DevicePtr v, int w, int h, Func<long, DevicePtr> floats)
    {
        long n = (long)w * h, padded = (long)(w + 2) * (h + 2);
        var d = floats(8 * n);
        var avg = floats(n);
        kernels.RefinePrepare(i0, i1, u, v, avg, Plane(d, 2, n), w, h);
        kernels.Derive(avg, Plane(d, 0, n), Plane(d, 1, n), w, h);
        kernels.Derive(Plane(d, 2, n), Plane(d, 6, n), Plane(d, 7, n), w, h);
        kernels.Derive(Plane(d, 0, n), Plane(d, 3, n), Plane(d, 4, n), w, h);
        kernels.Derive(Plane(d, 1, n), DevicePtr.Null, Plane(d, 5, n), w, h);
        var (du, dv, weight) = (floats(padded), floats(padded), floats(padded));
        foreach (var p in new[] { du, dv, weight }) kernels.Device.Fill(p, 0, padded * sizeof(float), kernels.Stream);
        var (tu, tv) = (floats(n), floats(n));
        kernels.Device.CopyDeviceToDevice(tu, u, n * sizeof(float), kernels.Stream);
        kernels.Device.CopyDeviceToDevice(tv, v, n * sizeof(float), kernels.Stream);
        var system = floats(5 * n);
        for (int it = 0; it < op.RefinementIterations; it++)
        {
            kernels.SmoothnessWeights(tu, tv, weight, w, h);
            kernels.Assemble(d, du, dv, weight, u, v, system, w, h);
            for (int s = 0; s < RefinementSorIterations; s++)
            {
                kernels.Sor(system, weight, du, dv, w, h, red: true);
                kernels.Sor(system, weight, du, dv, w, h, red: false);
            }
            kernels.AddIncrement(u, du, tu, w, h);
            kernels.AddIncrement(v, dv, tv, w, h);
        }
        kernels.Device.CopyDeviceToDevice(u, tu, n * sizeof(float), kernels.Stream);
        kernels.Device.CopyDeviceToDevice(v, tv, n * sizeof(float), kernels.Stream);
    }

    /// <summary>The plane <paramref name="index"/> of <paramref name="length"/> floats each after <paramref name="base"/>.</summary>
    private static DevicePtr Plane(DevicePtr @base, int index, long length) => new(@base.Address + (ulong)(index * length * sizeof(float)));
}
