using Reel.Engine.Models;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// DnCNN on whole frames kept on the device: u8 frame in → pack → per tile (copy window,
/// conv layers ping-ponging two activation buffers, residual subtract + clamp, paste core)
/// → unpack → u8 frame out. Weights are uploaded once. The device work of one frame is
/// captured once per frame shape as a graph and replayed; frames alternate between two
/// slots so the upload of frame i+1 and the download of frame i−1 (copy stream) overlap the
/// compute of frame i (compute stream). Tiles come from <see cref="TilePlanner"/> under the
/// memory budget, so 4K fits small cards with results identical to untiled.
/// </summary>
public sealed class DnCnnGpuPipeline : IDisposable
{
    private readonly IGpuDevice _device;
    private readonly IConvolutionEngine _convolutions;
    private readonly CudaKernels _kernels;
    private readonly DnCnn _model;
    private readonly (DeviceBuffer Weight, DeviceBuffer Bias)[] _weights;
    private readonly long _budgetBytes;
    private readonly PlanCache<(int H, int W), FrameResources> _frames = new();
    private readonly GpuStream _copy, _compute;

    /// <summary>Uploads <paramref name="model"/>'s weights to <paramref name="device"/> and makes the copy and compute streams; frame buffers and graphs come with the first frame of each shape.</summary>
    /// <param name="convolutions">Runs the conv layers (cuDNN, or the emulation's host convolutions in tests).</param>
    /// <param name="memoryBudgetBytes">Device memory the pipeline may use in all (weights, frame buffers, tiles); frames that do not fit are tiled.</param>
    public DnCnnGpuPipeline(IGpuDevice device, IConvolutionEngine convolutions, DnCnn model, long memoryBudgetBytes)
    {
        _device = device;
        _convolutions = convolutions;
        _kernels = new CudaKernels(device);
        _model = model;
        _budgetBytes = memoryBudgetBytes;
        _weights = model.Layers.Select(l => (Upload(l.Weight), Upload(l.Bias))).ToArray();
        _copy = device.CreateStream();
        _compute = device.CreateStream();
    }

    /// <summary>Graphs captured so far (two per frame shape: one per slot).</summary>
    public int GraphsCaptured => _frames.Values.Sum(f => f.Graphs.Length);

    /// <summary>Device bytes per input-window pixel: two activation buffers of the net's width, and the tile's input, noise and output planes.</summary>
    public static long BytesPerWindowPixel(DnCnn model) => (2L * model.Width + 3L * model.Channels) * sizeof(float);

    /// <summary>Device bytes per frame pixel outside the tiles: the frame's float planes (in and out) and two u8 slots each way.</summary>
    public static long BytesPerFramePixel(DnCnn model) => 2L * model.Channels * sizeof(float) + 4L * model.Channels;

    /// <summary>The tiles an H×W frame is cut into under the budget (one when it fits). The halo is the net's depth.</summary>
    public IReadOnlyList<Tile> TilesFor(int height, int width)
    {
        long weights = _model.Layers.Sum(l => (long)(l.Weight.Length + l.Bias.Length) * sizeof(float));
        return TilePlanner.Plan(height, width, _model.Depth, BytesPerWindowPixel(_model), _budgetBytes,
            weights + BytesPerFramePixel(_model) * height * width);
    }

    /// <summary>
    /// Denoises <paramref name="frames"/> (u8, height × width × channels interleaved, as ffmpeg's
    /// gray or rgb24) in order, handing each result to <paramref name="sink"/> with its index.
    /// </summary>
    public void Run(IEnumerable<byte[]> frames, int height, int width, Action<int, byte[]> sink)
    {
        var f = _frames.GetOrCreate((height, width), k => new FrameResources(this, k.H, k.W));
        int frameBytes = height * width * _model.Channels;
        var pending = new Queue<(int Index, int Slot)>();
        int index = 0;
        foreach (var frame in frames)
        {
            if (frame.Length != frameBytes) throw new ArgumentException($"frame {index} has {frame.Length} bytes; {height}×{width}×{_model.Channels} needs {frameBytes}");
            int slot = index % 2;
            if (pending.Count == 2) Deliver(f, pending.Dequeue(), sink);
            frame.CopyTo(f.PinnedIn[slot].As<byte>());
            Enqueue(f, slot, frameBytes);
            pending.Enqueue((index++, slot));
        }
        while (pending.Count > 0) Deliver(f, pending.Dequeue(), sink);
    }

    private unsafe void Enqueue(FrameResources f, int slot, int frameBytes)
    {
        _device.CopyToDevice(f.U8In[slot].Ptr, (void*)f.PinnedIn[slot].Address, frameBytes, _copy);
        _device.Record(f.Uploaded[slot], _copy);
        _device.Wait(_compute, f.Uploaded[slot]);
        _device.Replay(f.Graphs[slot], _compute);
        _device.Record(f.Computed[slot], _compute);
        _device.Wait(_copy, f.Computed[slot]);
        _device.CopyToHost((void*)f.PinnedOut[slot].Address, f.U8Out[slot].Ptr, frameBytes, _copy);
        _device.Record(f.Downloaded[slot], _copy);
    }

    private static void Deliver(FrameResources f, (int Index, int Slot) p, Action<int, byte[]> sink)
    {
        f.Owner._device.WaitHost(f.Downloaded[p.Slot]);
        sink(p.Index, f.PinnedOut[p.Slot].As<byte>().ToArray());
    }

    /// <summary>The device work of one frame in slot <paramref name="slot"/>, as captured into its graph.</summary>
    private void FrameWork(FrameResources f, int slot)
    {
        int c = _model.Channels, h = f.Height, w = f.Width;
        _kernels.PackU8ToF32(f.U8In[slot].Ptr, f.X.Ptr, h * w, c, _compute);
        foreach (var t in f.Tiles)
        {
            _kernels.CopyWindow(f.X.Ptr, f.TileIn.Ptr, c, h, w, t.InY, t.InX, t.InHeight, t.InWidth, 0, 0, t.InHeight, t.InWidth, _compute);
            var shape = new Shape(1, c, t.InHeight, t.InWidth);
            var input = f.TileIn.Ptr;
            for (int i = 0; i < _weights.Length; i++)
            {
                var layer = _model.Layers[i];
                var output = i == _weights.Length - 1 ? f.Noise.Ptr : (i % 2 == 0 ? f.ActA.Ptr : f.ActB.Ptr);
                _convolutions.Run(layer.Op, shape, input, _weights[i].Weight.Ptr, _weights[i].Bias.Ptr, output, _compute);
                shape = layer.Op.InferShape(new[] { shape });
                input = output;
            }
            int n = c * t.InHeight * t.InWidth;
            _kernels.ResidualSubtractClamp(f.TileIn.Ptr, f.Noise.Ptr, f.TileOut.Ptr, n, 0f, 1f, _compute);
            _kernels.CopyWindow(f.TileOut.Ptr, f.Y.Ptr, c, t.InHeight, t.InWidth, t.CoreOffsetY, t.CoreOffsetX, h, w, t.Y, t.X, t.Height, t.Width, _compute);
        }
        _kernels.UnpackF32ToU8(f.Y.Ptr, f.U8Out[slot].Ptr, h * w, c, _compute);
    }

    private unsafe DeviceBuffer Upload(Tensor t)
    {
        var b = _device.Allocate((long)t.Length * sizeof(float));
        fixed (float* p = t.Data) _device.CopyToDevice(b.Ptr, p, b.Bytes);
        return b;
    }

    /// <summary>Waits for the device to finish, then frees every buffer, graph and stream the pipeline made.</summary>
    public void Dispose()
    {
        _device.Synchronize();
        foreach (var f in _frames.Values) f.Dispose();
        foreach (var (w, b) in _weights) { w.Dispose(); b.Dispose(); }
        _copy.Dispose();
        _compute.Dispose();
    }

    /// <summary>Everything one frame shape needs, allocated once: buffers, events, pinned memory, the two graphs.</summary>
    private sealed class FrameResources : IDisposable
    {
        public FrameResources(DnCnnGpuPipeline owner, int height, int width)
        {
            Owner = owner;
            Height = height;
            Width = width;
            Tiles = owner.TilesFor(height, width);
            var d = owner._device;
            int c = owner._model.Channels;
            long frameBytes = (long)height * width * c;
            long window = Tiles.Max(t => (long)t.InHeight * t.InWidth);
            X = d.Allocate(frameBytes * sizeof(float));
            Y = d.Allocate(frameBytes * sizeof(float));
            TileIn = d.Allocate(window * c * sizeof(float));
            TileOut = d.Allocate(window * c * sizeof(float));
            Noise = d.Allocate(window * c * sizeof(float));
            ActA = d.Allocate(window * owner._model.Width * sizeof(float));
            ActB = d.Allocate(window * owner._model.Width * sizeof(float));
            U8In = new[] { d.Allocate(frameBytes), d.Allocate(frameBytes) };
            U8Out = new[] { d.Allocate(frameBytes), d.Allocate(frameBytes) };
            PinnedIn = new[] { d.AllocatePinned(frameBytes), d.AllocatePinned(frameBytes) };
            PinnedOut = new[] { d.AllocatePinned(frameBytes), d.AllocatePinned(frameBytes) };
            Uploaded = new[] { d.CreateEvent(), d.CreateEvent() };
            Computed = new[] { d.CreateEvent(), d.CreateEvent() };
            Downloaded = new[] { d.CreateEvent(), d.CreateEvent() };
            foreach (var t in Tiles)
            {
                var shape = new Shape(1, c, t.InHeight, t.InWidth);
                foreach (var layer in owner._model.Layers)
                {
                    owner._convolutions.Prepare(layer.Op, shape);
                    shape = layer.Op.InferShape(new[] { shape });
                }
            }
            // Once eagerly: every kernel's module is loaded before the capture (loading one inside it is refused).
            owner.FrameWork(this, 0);
            Graphs = new GpuGraph[2];
            for (int slot = 0; slot < 2; slot++)
            {
                int s = slot;
                Graphs[slot] = d.Capture(owner._compute, () => owner.FrameWork(this, s));
            }
        }

        public DnCnnGpuPipeline Owner { get; }
        public int Height { get; }
        public int Width { get; }
        public IReadOnlyList<Tile> Tiles { get; }
        public DeviceBuffer X, Y, TileIn, TileOut, Noise, ActA, ActB;
        public DeviceBuffer[] U8In, U8Out;
        public PinnedBuffer[] PinnedIn, PinnedOut;
        public GpuEvent[] Uploaded, Computed, Downloaded;
        public GpuGraph[] Graphs;

        public void Dispose()
        {
            foreach (var g in Graphs) g.Dispose();
            foreach (var b in new[] { X, Y, TileIn, TileOut, Noise, ActA, ActB }.Concat(U8In).Concat(U8Out)) b.Dispose();
            foreach (var p in PinnedIn.Concat(PinnedOut)) p.Dispose();
            foreach (var e in Uploaded.Concat(Computed).Concat(Downloaded)) e.Dispose();
        }
    }
}
