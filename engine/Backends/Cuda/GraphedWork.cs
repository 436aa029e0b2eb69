using Reel.Engine.Backends.Cuda.Native;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// <see cref="IRepeatedWork"/> on a <see cref="CudaBackend"/>, one recording per set of input shapes.
/// The first runs are eager: they load the kernels' modules, plan the convolutions and leave every
/// buffer the body needs in the backend's pool, since a capture may do none of that. The first run
/// also makes what outlives runs (optimizer moments), which may take buffers the run gave back, so
/// runs stay eager until one after the first allocates nothing: then the pool holds all a run needs,
/// and the next run captures the body's device work on the compute stream into a CUDA graph; the buffers it takes
/// from the pool and gives back stay the graph's until the graph is destroyed, so the addresses baked
/// into it stay valid and nobody else writes there between replays. Every run after that copies the
/// inputs into the recording's own input buffers, replays the graph and copies its outputs into new
/// tensors for the caller — one launch instead of one per op, and no host work per op.
/// </summary>
internal sealed class GraphedWork(CudaBackend backend, Func<Tensor[], Tensor[]> body) : IRepeatedWork
{
    private readonly Dictionary<string, Recording> _recordings = new();
    private readonly object _gate = new();

    public Tensor[] Run(params Tensor[] inputs)
    {
        lock (_gate)
        {
            var key = string.Join(" & ", inputs.Select(t => t.Shape.ToString()));
            if (!_recordings.TryGetValue(key, out var r)) _recordings[key] = r = new Recording(backend, inputs);
            r.Fill(inputs);
            if (r.Graph is null)
            {
                if (!r.Steady)
                {
                    int allocations = backend.DeviceAllocations;
                    var outputs = body(r.Views());
                    r.Steady = r.Runs++ > 0 && backend.DeviceAllocations == allocations;
                    return outputs;
                }
                r.Capture(body);
            }
            backend.Replay(r.Graph!, r.Checks!);
            return r.Outputs.Select(o => backend.Duplicate(o.Shape, backend.PtrOf(o))).ToArray();
        }
    }

    /// <summary>Destroys the graphs and gives their buffers back to the pool; call it before disposing what the body used (weights, moments).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            // A replay may still be running: its check kernels write the flags that are freed below, and
            // cuMemFree only "may" wait for the device. The flags are dropped unread (a caller that wants
            // them waits through the backend first, as the colorizer does when its temperature changes).
            if (_recordings.Values.Any(r => r.Graph is not null)) backend.Device.Synchronize(backend.Stream);
            backend.Forget(this, _recordings.Values.Select(r => r.Checks).OfType<FiniteChecks>().ToArray());
            foreach (var r in _recordings.Values) r.Dispose();
            _recordings.Clear();
        }
    }

    /// <summary>One set of input shapes: the inputs' fixed buffers, how often it ran, and once captured its graph, outputs and buffers.</summary>
    private sealed class Recording(CudaBackend backend, Tensor[] shapes) : IDisposable
    {
        // From the pool directly, not through Allocate: a workspace scope open around a run must not take them back.
        private readonly Tensor[] _inputs = shapes.Select(t => new Tensor(t.Shape, CudaStorage.Owning(backend, backend.Pool.Rent(CudaBackend.Bytes(t.Shape))))).ToArray();
        private List<DeviceBuffer> _kept = new();

        /// <summary>Eager runs so far.</summary>
        public int Runs { get; set; }
        /// <summary>Whether an eager run after the first allocated nothing, so a capture will find every buffer in the pool.</summary>
        public bool Steady { get; set; }
        public GpuGraph? Graph { get; private set; }
        public FiniteChecks? Checks { get; private set; }
        public Tensor[] Outputs { get; private set; } = Array.Empty<Tensor>();

        /// <summary>Copies the caller's inputs into the buffers the graph reads.</summary>
        public void Fill(Tensor[] inputs)
        {
            for (int i = 0; i < inputs.Length; i++) backend.CopyInto(inputs[i], backend.PtrOf(_inputs[i]));
        }

        /// <summary>The input buffers as the body sees them (views: the body's disposing them frees nothing).</summary>
        public Tensor[] Views() => _inputs.Select(backend.Import).ToArray();

        /// <summary>
        /// Captures the body. A capture that fails leaves nothing behind (its checks freed, the buffers it took
        /// given back, no graph), so the next run tries again; a driver or cuDNN error says how to run without
        /// graphs.
        /// </summary>
        public void Capture(Func<Tensor[], Tensor[]> body)
        {
            var checks = new FiniteChecks(backend.Device, CudaBackend.CheckSlots, backend.Stream);
            Tensor[]? outputs = null;
            bool capturing = false;
            GpuGraph graph;
            try
            {
                var views = Views();
                backend.Pool.BeginCapture();
                capturing = true;
                graph = backend.Capture(() => outputs = body(views), checks);
            }
            catch (Exception e)
            {
                if (capturing)
                    foreach (var b in backend.Pool.EndCapture()) backend.Pool.Return(b);
                foreach (var t in outputs ?? Array.Empty<Tensor>()) t.Dispose();
                // The checks' flags were cleared on the stream when they were made: that must be done before they go.
                backend.Device.Synchronize(backend.Stream);
                checks.Dispose();
                // The same body ran eagerly before, so a driver or cuDNN error now comes from capturing it.
                if (e is CudaException)
                    throw new ReelException($"{e.Message} (while capturing repeated work into a CUDA graph; REEL_CUDA_GRAPHS=0 runs it op by op)", e);
                throw;
            }
            _kept = backend.Pool.EndCapture();
            (Graph, Checks, Outputs) = (graph, checks, outputs!);
        }

        public void Dispose()
        {
            Graph?.Dispose();
            foreach (var t in Outputs.Concat(_inputs)) t.Dispose();
            foreach (var b in _kept) backend.Pool.Return(b);
            _kept.Clear();
            Checks?.Dispose();
        }
    }
}
