using Reel.Engine.Backends;
using Reel.Engine.Checkpoints;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Models;

/// <summary>
/// The ECCV16 colorizer (Zhang, Isola, Efros) in the layout of the official PyTorch port
/// (`colorizers/eccv16.py`, checkpoint `colorization_release_v2-9b330a0b.pth`): eight conv
/// blocks, BatchNorm after the ReLU at the end of blocks 1–7 (applied as a per-channel affine,
/// never folded into the next conv: zero padding would make that wrong at the borders), a
/// 313-way softmax and the annealed mean over the ab bin centres, ×4 bilinear upsampling. Its
/// prepared layers and buffers live on its backend until it is disposed. A frame without a fusion
/// callback is repeated work (<see cref="IBackend.Repeat"/>): on a GPU each input size is captured
/// into a graph once and replayed for every later frame of that size.
/// </summary>
public sealed class Colorizer : IDisposable
{
    /// <summary>The ab colour bins the net predicts a distribution over (the quantized gamut of the paper).</summary>
    public const int Bins = 313;
    private const float LCentre = 50, LNorm = 100, AbNorm = 110;
    private const float BatchNormEps = 1e-5f;

    /// <summary>(block, conv indices in the block's nn.Sequential, stride, padding = dilation, in → out).</summary>
    private static readonly (int Block, int[] Convs, int LastStride, int Dilation, int In, int Width)[] Blocks =
    {
        (1, new[] { 0, 2 }, 2, 1, 1, 64),
        (2, new[] { 0, 2 }, 2, 1, 64, 128),
        (3, new[] { 0, 2, 4 }, 2, 1, 128, 256),
        (4, new[] { 0, 2, 4 }, 1, 1, 256, 512),
        (5, new[] { 0, 2, 4 }, 1, 2, 512, 512),
        (6, new[] { 0, 2, 4 }, 1, 2, 512, 512),
        (7, new[] { 0, 2, 4 }, 1, 1, 512, 512),
    };

    private readonly List<IPreparedOp> _body = new();
    private readonly IPreparedOp _normalizeL;
    private readonly IBackend _backend;
    private readonly Tensor _centres; // (2, 313) ab bin centres

    /// <summary>The checkpoint it was read from, as a restore records it (<see cref="WeightMap.Identity"/>); null for weights not read from a file.</summary>
    public string? Checkpoint { get; }

    private Colorizer(WeightMap w, IBackend backend)
    {
        _backend = backend;
        Checkpoint = w.Identity;
        _normalizeL = Prepare(new AffineOp(1), Vector(1 / LNorm), Vector(-LCentre / LNorm));
        foreach (var (block, convs, lastStride, dilation, cin, width) in Blocks)
        {
            int inputs = cin;
            for (int i = 0; i < convs.Length; i++)
            {
                string key = $"model{block}.{convs[i]}";
                int stride = i == convs.Length - 1 ? lastStride : 1;
                var op = new Conv2dOp(inputs, width, 3, 3, stride, Padding: dilation, Dilation: dilation, HasBias: true, Activation: Activation.Relu);
                _body.Add(Prepare(op, w.Get($"{key}.weight", width, inputs, 3, 3), w.Get($"{key}.bias", width)));
                inputs = width;
            }
            _body.Add(BatchNorm(w, $"model{block}.{convs[^1] + 2}", width));
        }
        _body.Add(Prepare(new ConvTranspose2dOp(512, 256, 4, 2, 1, HasBias: true, Activation: Activation.Relu),
            w.Get("model8.0.weight", 512, 256, 4, 4), w.Get("model8.0.bias", 256)));
        foreach (var i in new[] { 2, 4 })
            _body.Add(Prepare(new Conv2dOp(256, 256, 3, 3, 1, 1, 1, HasBias: true, Activation: Activation.Relu),
                w.Get($"model8.{i}.weight", 256, 256, 3, 3), w.Get($"model8.{i}.bias", 256)));
        _body.Add(Prepare(new Conv2dOp(256, Bins, 1, 1, HasBias: true), w.Get("model8.6.weight", Bins, 256, 1, 1), w.Get("model8.6.bias", Bins)));

        // model_out is a 1×1 conv 313→2 without bias applied to the softmax: its columns are the
        // bin centres divided by the ab norm, so the centres in ab units are weight × 110.
        var projection = w.Get("model_out.weight", 2, Bins, 1, 1);
        _centres = new Tensor(new Shape(2, Bins));
        for (int i = 0; i < _centres.Length; i++) _centres.Data[i] = projection.Data[i] * AbNorm;
    }

    /// <summary>The 313 ab bin centres the checkpoint encodes, (2, 313): row 0 is a, row 1 is b.</summary>
    public Tensor BinCentres => _centres;

    /// <summary>Reads an ECCV16 checkpoint (official key layout) and prepares the net on <paramref name="backend"/>.</summary>
    public static Colorizer Load(string path, IBackend backend) => FromWeights(CheckpointLoader.Load(path), backend);

    /// <summary>The net from weights already read (official key layout), prepared on <paramref name="backend"/>.</summary>
    public static Colorizer FromWeights(WeightMap w, IBackend backend) => new(w, backend);

    /// <summary>
    /// Raw L (N, 1, H, W) in [0, 100] → ab (N, 2, H, W): the official `eccv16` forward with the
    /// softmax taken at temperature <paramref name="temperature"/> (1 = the port exactly).
    /// H and W must be multiples of 8 so the three stride-2 convs and the ×2, ×4 upsamplings
    /// return to the input size. <paramref name="logits"/>, when given, replaces the 313 logits
    /// (N, 313, H/4, W/4) before the annealed mean (temporal fusion of the distributions).
    /// </summary>
    public Tensor Forward(Tensor l, float temperature = 1f, Func<Tensor, Tensor>? logits = null)
    {
        var s = l.Shape;
        if (s.Rank != 4 || s.C != 1) throw new ReelException($"the colorizer takes the L channel as (N, 1, H, W), got {s}");
        if (s.H % 8 != 0 || s.W % 8 != 0 || s.H == 0 || s.W == 0)
            throw new ReelException($"the colorizer needs a height and width that are multiples of 8, got {s.W}×{s.H}");
        lock (_buffers)
        {
            Keep(temperature);
            // A fusion callback keeps state from frame to frame on the host, which a graph would not
            // replay, so the net runs eagerly around it.
            if (logits is not null) return Run(l, logits);
            _frame ??= _backend.Repeat(inputs => new[] { Run(inputs[0], null) });
            return _frame.Run(l)[0];
        }
    }

    /// <summary>
    /// The forward itself, at the kept temperature. Every layer's output buffer is kept per input size
    /// for the net's life, not only for the last size, and the head ops per size for the kept
    /// temperature: no per-frame allocation but the result, and a recorded frame's addresses stay
    /// valid whatever sizes run in between.
    /// </summary>
    private Tensor Run(Tensor l, Func<Tensor, Tensor>? logits)
    {
        var s = l.Shape;
        _backend.EnsureFinite(l, "colorizer input");
        if (!_buffers.TryGetValue(s, out var buffers))
        {
            var shape = _normalizeL.Op.InferShape(new[] { s });
            var made = new List<Tensor> { _backend.Zeros(shape) };
            foreach (var op in _body) made.Add(_backend.Zeros(shape = op.Op.InferShape(new[] { shape })));
            made.Add(_backend.Zeros(new Shape(s.N, 2, shape.H, shape.W)));
            _buffers[s] = buffers = made.ToArray();
        }
        _normalizeL.RunInto(buffers[0], l);
        var h = buffers[0];
        for (int i = 0; i < _body.Count; i++)
        {
            _body[i].RunInto(buffers[i + 1], h);
            h = buffers[i + 1];
            _backend.EnsureFinite(h, $"colorizer layer {i + 1} of {_body.Count} ({_body[i].Op.GetType().Name})");
        }
        if (!_heads.TryGetValue(s, out var head))
            _heads[s] = head = (Prepare(new AnnealedMeanOp(Bins, _temperature!.Value), _centres), Prepare(new ResizeBilinearOp(s.H, s.W)));
        var ab = buffers[^1];
        head.Mean.RunInto(ab, logits is null ? h : logits(h));
        return head.Resize.Run(ab);
    }

    /// <summary>
    /// Makes <paramref name="temperature"/> the kept one. A change frees the recorded frames and the
    /// head ops of the one before (the graphs first, since they hold the heads' centres): a caller
    /// that sweeps the temperature (the C ABI takes one per frame) keeps one temperature's worth on the
    /// device, not one per value.
    /// </summary>
    private void Keep(float temperature)
    {
        if (temperature == _temperature) return;
        if (_frame is not null)
        {
            // A graph's finite checks are read at the host's next wait; wait now, before the graph goes with them.
            _backend.Synchronize();
            _frame.Dispose();
            _frame = null;
        }
        DisposeHeads();
        _temperature = temperature;
    }

    private void DisposeHeads()
    {
        foreach (var (mean, resize) in _heads.Values)
        {
            mean.Dispose();
            resize.Dispose();
        }
        _heads.Clear();
    }

    private readonly Dictionary<Shape, Tensor[]> _buffers = new();
    /// <summary>The softmax temperature the head ops and the recorded frames are for.</summary>
    private float? _temperature;
    private readonly Dictionary<Shape, (IPreparedOp Mean, IPreparedOp Resize)> _heads = new();
    /// <summary>The forward without a fusion callback as repeated work, at the kept temperature (on a GPU, a graph per input size).</summary>
    private IRepeatedWork? _frame;

    /// <summary>Frees the recorded frames, the prepared layers' weights and the buffers (device memory on a GPU).</summary>
    public void Dispose()
    {
        lock (_buffers)
        {
            _frame?.Dispose();
            _frame = null;
            _normalizeL.Dispose();
            foreach (var p in _body) p.Dispose();
            DisposeHeads();
            foreach (var b in _buffers.Values.SelectMany(b => b)) b.Dispose();
            _buffers.Clear();
        }
    }

    private IPreparedOp BatchNorm(WeightMap w, string key, int channels)
    {
        var gamma = w.Get($"{key}.weight", channels);
        var beta = w.Get($"{key}.bias", channels);
        var mean = w.Get($"{key}.running_mean", channels);
        var variance = w.Get($"{key}.running_var", channels);
        var scale = new Tensor(new Shape(channels));
        var shift = new Tensor(new Shape(channels));
        for (int c = 0; c < channels; c++)
        {
            double sc = gamma.Data[c] / Math.Sqrt(variance.Data[c] + (double)BatchNormEps);
            scale.Data[c] = (float)sc;
            shift.Data[c] = (float)(beta.Data[c] - mean.Data[c] * sc);
        }
        return Prepare(new AffineOp(channels), scale, shift);
    }

    private IPreparedOp Prepare(Op op, params Tensor[] parameters)
    {
        if (!_backend.Supports(op)) throw new ReelException($"backend {_backend.Name} does not support {op}");
        return _backend.Prepare(op, parameters);
    }

    private static Tensor Vector(float v) => new(new Shape(1), new[] { v });
}
