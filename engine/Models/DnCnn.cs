using System.Globalization;
using Reel.Engine.Backends;
using Reel.Engine.Checkpoints;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Models;

/// <summary>
/// DnCNN (Zhang et al., TIP 2017): 3×3 conv + ReLU, (L−2) × [3×3 conv + BN + ReLU], 3×3 conv;
/// the net predicts the noise and <c>out = x − net(x)</c>. Depth, channels and BatchNorm are
/// read from the tensors, and BN is folded into the preceding conv at load. Its prepared layers
/// and intermediate buffers live on its backend (device memory on a GPU) until it is disposed. A
/// frame is repeated work (<see cref="IBackend.Repeat"/>): on a GPU each frame size is captured
/// into a graph once and replayed for every later frame of that size. A frame whose activations
/// would not fit a memory budget goes through in tiles (<see cref="TileGrid"/>) that give the
/// whole frame's result.
/// </summary>
public sealed class DnCnn : IDisposable
{
    /// <summary>One conv after BN folding: the op and its parameters.</summary>
    public sealed record Layer(Conv2dOp Op, Tensor Weight, Tensor Bias);

    /// <summary>The layers as one chain of convolutions (<see cref="ConvChainOp"/>): a GPU in bf16 keeps the activations between them bfloat16.</summary>
    private readonly IPreparedOp _layers;
    private readonly IPreparedOp _subtract;
    /// <summary>A frame's work per tile budget (its graphs keyed by frame size within).</summary>
    private readonly Dictionary<long, IRepeatedWork> _frames = new();
    /// <summary>The tile budget each input shape and asked budget got, its backend's memory asked once: a film's frames of one size all take the same windows, so one graph.</summary>
    private readonly Dictionary<(Shape, long), long> _tileBudgets = new();
    /// <summary>The noise per shape the layers run at, a frame's or a tile's (the chain keeps its own intermediates): no per-frame allocation but the result, and a graph's addresses stay put.</summary>
    private readonly Dictionary<Shape, Tensor> _noise = new();

    private DnCnn(IReadOnlyList<Layer> layers, bool hadBatchNorm, IBackend backend)
    {
        Layers = layers;
        HadBatchNorm = hadBatchNorm;
        Backend = backend;
        var chain = new ConvChainOp("DnCNN", layers.Select(l => l.Op).ToArray());
        if (!backend.Supports(chain)) throw new ReelException($"backend {backend.Name} does not support DnCNN's convolutions ({layers[0].Op}, …)");
        _layers = backend.Prepare(chain, layers.SelectMany(l => new[] { l.Weight, l.Bias }).ToArray());
        _subtract = backend.Prepare(new SubtractOp());
    }

    /// <summary>The convolutions in order, BatchNorm folded in, each with its weights.</summary>
    public IReadOnlyList<Layer> Layers { get; }
    /// <summary>How many convolutions (17 or 20 in the published nets).</summary>
    public int Depth => Layers.Count;
    /// <summary>The checkpoint it was read from, as a restore records it (<see cref="WeightMap.Identity"/>); null for weights not read from a file.</summary>
    public string? Checkpoint { get; private init; }
    /// <summary>Image channels in and out: 1 for gray, 3 for colour.</summary>
    public int Channels => Layers[0].Op.InChannels;
    /// <summary>Feature channels between the first and last convolution (64 in the published nets).</summary>
    public int Width => Layers[0].Op.OutChannels;
    /// <summary>Whether the checkpoint carried unmerged BatchNorm layers (folded into the convolutions at load).</summary>
    public bool HadBatchNorm { get; }
    /// <summary>The backend the net is prepared on and runs on.</summary>
    public IBackend Backend { get; }

    /// <summary>Reads a DnCNN checkpoint (KAIR or cszn/SaoYan layout) and prepares the net on <paramref name="backend"/>.</summary>
    public static DnCnn Load(string path, IBackend backend) => FromWeights(CheckpointLoader.Load(path), backend);

    /// <summary>
    /// Builds the net from a KAIR (`model.{2k}.*`, BN merged) or cszn/SaoYan (`dncnn.N.*`, BN
    /// separate, optional `module.`) state dict. BN eps: cszn trained with 1e-4 and gave its first
    /// conv a bias; SaoYan used PyTorch's default 1e-5 and no conv biases — the bias tells them apart.
    /// </summary>
    public static DnCnn FromWeights(WeightMap w, IBackend backend)
    {
        var groups = GroupByIndex(w);
        var convIdx = groups.Where(g => g.Value.TryGetValue("weight", out var t) && t.Shape.Rank == 4).Select(g => g.Key).ToList();
        if (convIdx.Count < 2)
            throw new CheckpointException($"{w.Source}: not a DnCNN checkpoint: missing tensor 'model.0.weight' (or 'dncnn.0.weight') of shape (64, C, 3, 3)");

        bool firstHasBias = groups[convIdx[0]].ContainsKey("bias");
        float eps = firstHasBias && groups.Values.Any(g => g.ContainsKey("running_var")) ? 1e-4f : 1e-5f;
        bool anyBn = false;
        var layers = new List<Layer>();
        for (int i = 0; i < convIdx.Count; i++)
        {
            var g = groups[convIdx[i]];
            var weight = g["weight"];
            var s = weight.Shape;
            if (s[2] != 3 || s[3] != 3)
                throw new CheckpointException($"{w.Source}: conv {convIdx[i]} has a {s[2]}×{s[3]} kernel; DnCNN uses 3×3");
            if (i > 0 && s[1] != layers[^1].Op.OutChannels)
                throw new CheckpointException($"{w.Source}: conv {convIdx[i]} takes {s[1]} channels but the previous layer gives {layers[^1].Op.OutChannels}");
            int cout = s[0];
            var bias = g.TryGetValue("bias", out var b) ? CheckVector(b, cout, w.Source, convIdx[i], "bias") : new Tensor(new Shape(cout));

            int bnIdx = convIdx[i] + 1;
            if (groups.TryGetValue(bnIdx, out var bn) && bn.ContainsKey("running_mean"))
            {
                anyBn = true;
                (weight, bias) = FoldBatchNorm(weight, bias, bn, eps, w.Source, bnIdx);
            }
            bool last = i == convIdx.Count - 1;
            var op = new Conv2dOp(s[1], cout, 3, 3, Stride: 1, Padding: 1, Dilation: 1, HasBias: true,
                Activation: last ? Activation.None : Activation.Relu);
            layers.Add(new Layer(op, weight, bias));
        }
        int channels = layers[0].Op.InChannels;
        if (layers[^1].Op.OutChannels != channels)
            throw new CheckpointException($"{w.Source}: the last conv gives {layers[^1].Op.OutChannels} channels for a {channels}-channel input; not a DnCNN");
        return new DnCnn(layers, anyBn, backend) { Checkpoint = w.Identity };
    }

    /// <summary>
    /// Denoised image: x − net(x), not clamped, where <paramref name="x"/> is (on the backend's device for a
    /// GPU; a host input comes back on the host). The layers run on windows of at most
    /// <paramref name="maxTilePixels"/> pixels (<see cref="Tiles"/>), and of no more than the backend's
    /// memory gives them (<see cref="IBackend.WorkingBudget"/>, asked at a shape's first frame); the
    /// result is the whole frame's.
    /// </summary>
    public Tensor Forward(Tensor x, long maxTilePixels = long.MaxValue)
    {
        if (x.Shape.Rank != 4 || x.Shape.C != Channels)
            throw new ReelException($"DnCNN with {Channels} channel(s) got an input of shape {x.Shape}");
        lock (_noise)
        {
            long tilePixels = TileBudget(x.Shape, maxTilePixels);
            if (!_frames.TryGetValue(tilePixels, out var frame))
                _frames[tilePixels] = frame = Backend.Repeat(inputs => new[] { Denoise(inputs[0], tilePixels) });
            var y = frame.Run(x)[0];
            if (!x.IsOnHost || y.IsOnHost) return y;
            using (y) return y.ToHost();
        }
    }

    /// <summary>The windows <see cref="Forward"/> takes frames of <paramref name="shape"/> in, given <paramref name="maxTilePixels"/>: the backend's memory asked now if this is the shape's first frame.</summary>
    public TileGrid TilesFor(Shape shape, long maxTilePixels)
    {
        lock (_noise) return Tiles(shape.H, shape.W, TileBudget(shape, maxTilePixels));
    }

    /// <summary>
    /// The windows' pixels for frames of <paramref name="shape"/>: at most <paramref name="maxTilePixels"/>,
    /// and what the backend's working memory holds of the feature maps the layers ping-pong between and the
    /// window, its noise and residual (4 bytes a value), but never below the smallest window tiling takes
    /// (a device with less fails its allocation, with the driver's error). Decided at the shape's first
    /// frame and kept, so a film's frames of one size all take the same windows (one graph).
    /// </summary>
    private long TileBudget(Shape shape, long maxTilePixels)
    {
        if (_tileBudgets.TryGetValue((shape, maxTilePixels), out long kept)) return kept;
        long bytesPerPixel = sizeof(float) * (2L * Width + 3L * Channels) * shape.N;
        long wanted = Math.Min(maxTilePixels, (long)shape.H * shape.W);
        long fits = Backend.WorkingBudget(wanted * bytesPerPixel) / bytesPerPixel;
        long side = TileGrid.MinimumSide(Depth);
        long budget = fits >= wanted ? maxTilePixels : Math.Min(maxTilePixels, Math.Max(fits, side * side));
        _tileBudgets[(shape, maxTilePixels)] = budget;
        return budget;
    }

    /// <summary>The windows a <paramref name="height"/>×<paramref name="width"/> frame goes through with at most <paramref name="maxTilePixels"/> pixels each: each layer widens the border a window's zero padding spoils by one pixel.</summary>
    public TileGrid Tiles(int height, int width, long maxTilePixels) => TileGrid.For(height, width, Depth, maxTilePixels);

    /// <summary>One frame's work: the whole frame's residual, or each window's, its core pasted into the frame.</summary>
    private Tensor Denoise(Tensor x, long maxTilePixels)
    {
        Backend.EnsureFinite(x, "DnCNN input");
        var grid = Tiles(x.Shape.H, x.Shape.W, maxTilePixels);
        if (grid.Whole) return _subtract.Run(x, Noise(x));
        var y = Backend.Zeros(x.Shape);
        foreach (var t in grid.Tiles)
        {
            using var window = Backend.Execute(new CropOp(grid.WindowHeight, grid.WindowWidth, t.Top, t.Left), x);
            using var residual = _subtract.Run(window, Noise(window));
            using var core = Backend.Execute(new CropOp(t.CoreHeight, t.CoreWidth, t.CoreTop - t.Top, t.CoreLeft - t.Left), residual);
            using var paste = Backend.Prepare(new PasteOp(t.CoreTop, t.CoreLeft));
            paste.RunInto(y, y, core);
        }
        return y;
    }

    /// <summary>The layers on <paramref name="x"/>: the noise they predict (in a buffer the next call overwrites), checked for non-finite values by the chain.</summary>
    private Tensor Noise(Tensor x)
    {
        if (!_noise.TryGetValue(x.Shape, out var noise)) _noise[x.Shape] = noise = Backend.Zeros(x.Shape);
        _layers.RunInto(noise, x);
        return noise;
    }

    /// <summary>Frees the recorded frames, the prepared layers' weights and the buffers (device memory on a GPU).</summary>
    public void Dispose()
    {
        lock (_noise)
        {
            foreach (var f in _frames.Values) f.Dispose();
            _frames.Clear();
            _tileBudgets.Clear();
            _layers.Dispose();
            _subtract.Dispose();
            foreach (var n in _noise.Values) n.Dispose();
            _noise.Clear();
        }
    }

    private static (Tensor W, Tensor B) FoldBatchNorm(Tensor w, Tensor b, Dictionary<string, Tensor> bn, float eps, string source, int idx)
    {
        int cout = w.Shape[0];
        var gamma = bn.TryGetValue("weight", out var g) ? CheckVector(g, cout, source, idx, "weight") : null;
        var beta = bn.TryGetValue("bias", out var bb) ? CheckVector(bb, cout, source, idx, "bias") : null;
        var mean = CheckVector(bn["running_mean"], cout, source, idx, "running_mean");
        var variance = bn.TryGetValue("running_var", out var v)
            ? CheckVector(v, cout, source, idx, "running_var")
            : throw new CheckpointException($"{source}: BatchNorm {idx} has running_mean but no running_var");
        var wf = w.Clone();
        var bf = new Tensor(new Shape(cout));
        int per = w.Length / cout;
        for (int c = 0; c < cout; c++)
        {
            double s = (gamma?.Data[c] ?? 1.0) / Math.Sqrt(variance.Data[c] + (double)eps);
            for (int j = 0; j < per; j++) wf.Data[c * per + j] = (float)(w.Data[c * per + j] * s);
            bf.Data[c] = (float)((b.Data[c] - mean.Data[c]) * s + (beta?.Data[c] ?? 0.0));
        }
        return (wf, bf);
    }

    private static Tensor CheckVector(Tensor t, int n, string source, int idx, string name) =>
        t.Shape.Rank == 1 && t.Shape[0] == n
            ? t
            : throw new CheckpointException($"{source}: tensor at layer {idx} '{name}' has shape {t.Shape}, expected ({n})");

    /// <summary>Groups `prefix.N.param` keys by N; all keys must share one prefix (`model` or `dncnn`).</summary>
    private static SortedDictionary<int, Dictionary<string, Tensor>> GroupByIndex(WeightMap w)
    {
        var groups = new SortedDictionary<int, Dictionary<string, Tensor>>();
        // The ECCV16 colorizer's layout (model1.* to model8.*, model_out): named, where "mix two models" left the user guessing.
        if (w.Names.Any(n => n.StartsWith("model_out.", StringComparison.Ordinal)) && w.Names.Any(n => n.StartsWith("model1.", StringComparison.Ordinal)))
            throw new CheckpointException($"{w.Source} is an ECCV16 colorizer checkpoint, not a DnCNN: give it to --colorizer (or reel colorize)");
        string? prefix = null;
        foreach (var name in w.Names)
        {
            var parts = name.Split('.');
            if (parts.Length != 3 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int idx))
                throw new CheckpointException($"{w.Source}: unexpected tensor '{name}' for DnCNN (expected 'model.N.weight' or 'dncnn.N.weight')");
            prefix ??= parts[0];
            if (parts[0] != prefix)
                throw new CheckpointException($"{w.Source}: tensors '{prefix}.*' and '{name}' mix two models");
            if (!groups.TryGetValue(idx, out var g)) groups[idx] = g = new Dictionary<string, Tensor>();
            g[parts[2]] = w.Get(name);
        }
        return groups;
    }
}
