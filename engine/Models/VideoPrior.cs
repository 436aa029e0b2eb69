using Reel.Engine.Backends;
using Reel.Engine.Checkpoints;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Models;

/// <summary>
/// The Deep Video Prior U-Net (Lei, Xing, Chen, NeurIPS 2020) in the official PyTorch layout:
/// five levels of two 3×3 convs without bias + ReLU (widths w, 2w, 4w, 8w, 16w; w = 32
/// officially), 2×2 max-pooling between them; each decoder level upsamples ×2 (bilinear,
/// align_corners true), applies a biased 3×3 conv to half the channels, concatenates the skip
/// and runs two more convs; a biased 1×1 conv gives 3 outputs, or 6 with IRT. No BatchNorm.
/// </summary>
public sealed class VideoPrior : IDisposable
{
    /// <summary>Frames are padded to this multiple, as the reference requires (it crops to it instead).</summary>
    public const int SizeMultiple = 32;

    /// <summary>What the network itself needs of a frame's sides: four 2× poolings, undone by four 2× upsamplings.</summary>
    public const int NetworkMultiple = 16;

    private readonly Dictionary<string, Tensor> _parameters;

    private VideoPrior(int width, int outChannels, Dictionary<string, Tensor> parameters)
    {
        Width = width;
        OutChannels = outChannels;
        _parameters = parameters;
    }

    /// <summary>The first level's channels (32 in the paper); each level below doubles it.</summary>
    public int Width { get; }
    /// <summary>Output channels: 3, or 6 with IRT (two heads).</summary>
    public int OutChannels { get; }

    /// <summary>Parameters by official name, in <see cref="Layout"/> order, where the net was last moved; training updates them in place.</summary>
    public IReadOnlyDictionary<string, Tensor> Parameters => _parameters;

    /// <summary>
    /// Puts the parameters in <paramref name="backend"/>'s memory (uploaded once, for a whole shot's
    /// training and inference on a GPU; nothing moves when they are there already).
    /// </summary>
    public void MoveTo(IBackend backend)
    {
        foreach (var (name, t) in _parameters.ToArray())
        {
            var moved = backend.Import(t);
            if (ReferenceEquals(moved, t)) continue;
            _parameters[name] = moved;
            t.Dispose();
        }
    }

    /// <summary>Frees parameters held in device memory; a net on the host has nothing to free.</summary>
    public void Dispose()
    {
        foreach (var t in _parameters.Values) t.Dispose();
    }

    /// <summary>How many weights and biases the net has.</summary>
    public long ParameterCount => _parameters.Values.Sum(t => (long)t.Length);

    /// <summary>Channel widths of the five levels.</summary>
    public static int[] Widths(int width) => new[] { width, 2 * width, 4 * width, 8 * width, 16 * width };

    /// <summary>Every parameter's official name and shape.</summary>
    public static IReadOnlyList<(string Name, Shape Shape)> Layout(int width, int outChannels)
    {
        var w = Widths(width);
        var list = new List<(string, Shape)>();
        int cin = 3;
        for (int i = 1; i <= 4; i++)
        {
            list.Add(($"encoder{i}.enc{i}conv1.weight", new Shape(w[i - 1], cin, 3, 3)));
            list.Add(($"encoder{i}.enc{i}conv2.weight", new Shape(w[i - 1], w[i - 1], 3, 3)));
            cin = w[i - 1];
        }
        list.Add(("bottleneck.bottleneckconv1.weight", new Shape(w[4], w[3], 3, 3)));
        list.Add(("bottleneck.bottleneckconv2.weight", new Shape(w[4], w[4], 3, 3)));
        for (int i = 4; i >= 1; i--)
        {
            list.Add(($"upconv{i}.1.weight", new Shape(w[i - 1], w[i], 3, 3)));
            list.Add(($"upconv{i}.1.bias", new Shape(w[i - 1])));
            list.Add(($"decoder{i}.dec{i}conv1.weight", new Shape(w[i - 1], 2 * w[i - 1], 3, 3)));
            list.Add(($"decoder{i}.dec{i}conv2.weight", new Shape(w[i - 1], w[i - 1], 3, 3)));
        }
        list.Add(("conv.weight", new Shape(outChannels, w[0], 1, 1)));
        list.Add(("conv.bias", new Shape(outChannels)));
        return list;
    }

    /// <summary>
    /// A fresh net with Xavier-normal weights (std = √(2 / (fan_in + fan_out))) and zero biases,
    /// drawn from a seeded generator so a run is repeatable.
    /// </summary>
    public static VideoPrior Create(int width, int outChannels, int seed)
    {
        if (width < 1) throw new UsageException($"U-Net width must be ≥ 1, got {width}");
        if (outChannels is not (3 or 6)) throw new ReelException($"the U-Net gives 3 outputs (6 with IRT), not {outChannels}");
        var noise = new StandardNormal(seed);
        var p = new Dictionary<string, Tensor>();
        foreach (var (name, shape) in Layout(width, outChannels))
        {
            var t = new Tensor(shape);
            if (shape.Rank == 4)
            {
                int receptive = shape[2] * shape[3];
                double std = Math.Sqrt(2.0 / (shape[1] * receptive + shape[0] * receptive));
                for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(std * noise.Next());
            }
            p[name] = t;
        }
        return new VideoPrior(width, outChannels, p);
    }

    /// <summary>Reads a net saved by <see cref="Save"/> (or in the official key layout).</summary>
    public static VideoPrior Load(string path) => FromWeights(CheckpointLoader.Load(path));

    /// <summary>Loads the official key layout; the width and output count are read from the tensors.</summary>
    public static VideoPrior FromWeights(WeightMap w)
    {
        var first = w.Get("encoder1.enc1conv1.weight");
        var last = w.Get("conv.weight");
        if (first.Shape.Rank != 4 || last.Shape.Rank != 4)
            throw new CheckpointException($"{w.Source}: encoder1.enc1conv1.weight and conv.weight must be conv weights");
        int width = first.Shape[0], outChannels = last.Shape[0];
        if (outChannels is not (3 or 6))
            throw new CheckpointException($"{w.Source}: conv.weight gives {outChannels} outputs; the U-Net has 3 (or 6 with IRT)");
        var p = new Dictionary<string, Tensor>();
        foreach (var (name, shape) in Layout(width, outChannels))
            p[name] = w.Get(name, shape.Dims.ToArray()).Clone();
        return new VideoPrior(width, outChannels, p);
    }

    /// <summary>Saves the weights under their official names as safetensors (atomically).</summary>
    public void Save(string path) =>
        Safetensors.Write(path, Layout(Width, OutChannels).Select(l => (l.Name, _parameters[l.Name].ToHost())),
            new Dictionary<string, string> { ["model"] = "dvp-unet", ["width"] = Width.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    /// <summary>
    /// A frame (1, 1|3, H, W) as the net takes it, on <paramref name="backend"/>: RGB (a gray plane
    /// repeated), box-averaged by <paramref name="decimation"/> when that is above 1, then reflect-padded
    /// at the bottom and right to a multiple of <see cref="SizeMultiple"/>. Returns the padded frame (the
    /// caller's to dispose) and the size of its valid top-left part, which <see cref="Predict"/> crops back to.
    /// </summary>
    public static (Tensor Frame, int ValidH, int ValidW) PrepareInput(Tensor frame, int decimation, IBackend backend)
    {
        using var rgb = RgbFrame.On(backend, frame);
        using var small = decimation > 1 ? backend.Execute(new DecimateOp(decimation), rgb) : null;
        var valid = small ?? rgb;
        return (backend.Execute(new PadReflectOp(SizeMultiple), valid), valid.Shape.H, valid.Shape.W);
    }

    /// <summary>
    /// The net's answer for a frame made by <see cref="PrepareInput"/>: the main head's three channels,
    /// cropped to the valid <paramref name="validH"/> × <paramref name="validW"/>, on
    /// <paramref name="backend"/> (the caller disposes it). Not clamped: the range is the coding's
    /// (RGB in [0, 1]; chroma mode's a and b centred on 0, half of them negative), so the caller
    /// clamps as it decodes.
    /// </summary>
    public Tensor Predict(Tensor prepared, int validH, int validW, IBackend backend)
    {
        using var o = Forward(prepared, backend);
        using var main = backend.Execute(new SliceChannelsOp(0, 3), o);
        return backend.Execute(new CropOp(validH, validW), main);
    }

    /// <summary>
    /// The forward pass on (N, 3, H, W), H and W multiples of <see cref="NetworkMultiple"/>. When <paramref name="record"/>
    /// is given, every intermediate is stored in it by name for the backward pass (Training/), and
    /// belongs to the caller; otherwise each is freed once the pass is done with it.
    /// </summary>
    public Tensor Forward(Tensor x, IBackend backend, IDictionary<string, Tensor>? record = null)
    {
        var s = x.Shape;
        if (s.Rank != 4 || s.C != 3) throw new ReelException($"the U-Net takes RGB frames (N, 3, H, W), got {s}");
        if (s.H % NetworkMultiple != 0 || s.W % NetworkMultiple != 0)
            throw new ReelException($"the U-Net needs a height and width that are multiples of {NetworkMultiple}, got {s.W}×{s.H}");
        var w = Widths(Width);
        var made = new List<Tensor>();
        Tensor Keep(string name, Tensor t)
        {
            if (record is not null) record[name] = t;
            else if (name != "x") made.Add(t);
            return t;
        }
        Tensor Conv(string name, Tensor input, int cout, int k, bool bias, Activation act)
        {
            var op = new Conv2dOp(input.Shape.C, cout, k, k, 1, k / 2, 1, bias, act);
            var ps = bias ? new[] { _parameters[name + ".weight"], _parameters[name + ".bias"] } : new[] { _parameters[name + ".weight"] };
            using var prepared = backend.Prepare(op, ps);
            return prepared.Run(input);
        }
        Tensor Run(Op op, params Tensor[] inputs)
        {
            using var prepared = backend.Prepare(op);
            return prepared.Run(inputs);
        }

        var h = Keep("x", x);
        var skips = new Tensor[5];
        for (int i = 1; i <= 4; i++)
        {
            h = Keep($"e{i}a", Conv($"encoder{i}.enc{i}conv1", h, w[i - 1], 3, false, Activation.Relu));
            h = skips[i] = Keep($"e{i}", Conv($"encoder{i}.enc{i}conv2", h, w[i - 1], 3, false, Activation.Relu));
            h = Keep($"p{i}", Run(new MaxPool2dOp(), h));
        }
        h = Keep("ba", Conv("bottleneck.bottleneckconv1", h, w[4], 3, false, Activation.Relu));
        h = Keep("b", Conv("bottleneck.bottleneckconv2", h, w[4], 3, false, Activation.Relu));
        for (int i = 4; i >= 1; i--)
        {
            var up = Keep($"up{i}", Run(new ResizeBilinearOp(h.Shape.H * 2, h.Shape.W * 2, AlignCorners: true), h));
            var u = Keep($"u{i}", Conv($"upconv{i}.1", up, w[i - 1], 3, true, Activation.None));
            var cat = Keep($"c{i}", Run(new ConcatOp(), u, skips[i]));
            h = Keep($"d{i}a", Conv($"decoder{i}.dec{i}conv1", cat, w[i - 1], 3, false, Activation.Relu));
            h = Keep($"d{i}", Conv($"decoder{i}.dec{i}conv2", h, w[i - 1], 3, false, Activation.Relu));
        }
        var output = Conv("conv", h, OutChannels, 1, true, Activation.None);
        if (record is not null) record["out"] = output;
        foreach (var t in made) t.Dispose();
        return output;
    }
}
