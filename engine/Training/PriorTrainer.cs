using System.Diagnostics;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Models;
using Reel.Engine.Tensors;

namespace Reel.Engine.Training;

/// <summary>Where the last training step's time went, in ms (what `reel bench --model unet` reports beside the forward's ops).</summary>
public sealed record StepProfile(double Forward, double Loss, double WeightGradients, double InputGradients, double OtherBackward, double Adam);

/// <summary>
/// Trains a <see cref="VideoPrior"/> one frame at a time: forward with every intermediate kept,
/// the loss and its gradient, the backward pass through the U-Net, then an Adam step.
/// </summary>
public sealed class PriorTrainer
{
    private readonly VideoPrior _net;
    private readonly IBackend _backend;
    private readonly Adam _adam;
    private readonly Dictionary<string, Tensor> _grads = new();
    private readonly TensorArena _arena = new();
    private long _weightTicks, _inputTicks;

    public PriorTrainer(VideoPrior net, IBackend backend, float learningRate = 1e-4f)
    {
        _net = net;
        // Adam turns rounding differences in small gradients into full-size steps: the fast CPU
        // path trains on its GEMM convolutions only (see FastBackend.Training).
        _backend = backend is FastBackend fast ? fast.ForTraining() : backend;
        _adam = new Adam(learningRate);
        foreach (var (name, t) in net.Parameters) _grads[name] = new Tensor(t.Shape);
    }

    /// <summary>The time of each phase of the last <see cref="Step"/> (or <see cref="ComputeGradients"/>, Adam 0).</summary>
    public StepProfile LastProfile { get; private set; } = new(0, 0, 0, 0, 0, 0);

    /// <summary>Gradients of the last <see cref="ComputeGradients"/>, by parameter name.</summary>
    public IReadOnlyDictionary<string, Tensor> Gradients => _grads;

    /// <summary>One optimizer step: gradients, then Adam. Returns the loss.</summary>
    public double Step(PriorLossKind kind, Tensor input, Tensor processed, int validH, int validW)
    {
        double loss = ComputeGradients(kind, input, processed, validH, validW);
        long start = Stopwatch.GetTimestamp();
        _adam.Step(_net.Parameters, _grads);
        LastProfile = LastProfile with { Adam = Stopwatch.GetElapsedTime(start).TotalMilliseconds };
        return loss;
    }

    /// <summary>Forward, loss and backward, leaving ∂L/∂θ in <see cref="Gradients"/>; no update.</summary>
    public double ComputeGradients(PriorLossKind kind, Tensor input, Tensor processed, int validH, int validW)
    {
        // Every activation and gradient of the step comes from the arena and goes back to it at the end.
        using var scope = _arena.Open();
        long t0 = Stopwatch.GetTimestamp();
        var rec = new Dictionary<string, Tensor>();
        var output = _net.Forward(input, _backend, rec);
        long t1 = Stopwatch.GetTimestamp();
        var dOut = new Tensor(output.Shape);
        double loss = PriorLoss.Compute(kind, output, input, processed, dOut, validH, validW);
        long t2 = Stopwatch.GetTimestamp();
        // Every gradient is written (not added to) by exactly one ConvWeights call below, so none is zeroed first.
        _weightTicks = _inputTicks = 0;
        BackwardPass(rec, dOut);
        long t3 = Stopwatch.GetTimestamp();
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        LastProfile = new StepProfile(Ms(t1 - t0), Ms(t2 - t1), Ms(_weightTicks), Ms(_inputTicks), Ms(t3 - t2 - _weightTicks - _inputTicks), 0);
        return loss;
    }

    private void BackwardPass(Dictionary<string, Tensor> rec, Tensor dOut)
    {
        var p = _net.Parameters;
        var widths = VideoPrior.Widths(_net.Width);
        Tensor ConvBack(string layer, string input, Tensor dy, bool bias = false, bool needDx = true)
        {
            long start = Stopwatch.GetTimestamp();
            Backward.ConvWeights(rec[input], dy, _grads[layer + ".weight"], bias ? _grads[layer + ".bias"] : null, accumulate: false);
            long mid = Stopwatch.GetTimestamp();
            _weightTicks += mid - start;
            if (!needDx) return null!;
            var dx = Backward.ConvInput(p[layer + ".weight"], dy, _backend is FastBackend ? _backend : null);
            _inputTicks += Stopwatch.GetTimestamp() - mid;
            return dx;
        }

        var dh = ConvBack("conv", "d1", dOut, bias: true);
        var skipGrads = new Tensor[5];
        for (int i = 1; i <= 4; i++)
        {
            Backward.Relu(dh, rec[$"d{i}"]);
            dh = ConvBack($"decoder{i}.dec{i}conv2", $"d{i}a", dh);
            Backward.Relu(dh, rec[$"d{i}a"]);
            dh = ConvBack($"decoder{i}.dec{i}conv1", $"c{i}", dh);
            // The concat's gradient: its first channels go up to the upconv, the rest to the skip.
            skipGrads[i] = dh;
            var dup = ConvBack($"upconv{i}.1", $"up{i}", Backward.FirstChannels(dh, widths[i - 1]), bias: true);
            var below = rec[i == 4 ? "b" : $"d{i + 1}"];
            dh = Backward.Resize(dup, below.Shape.H, below.Shape.W, alignCorners: true);
        }
        Backward.Relu(dh, rec["b"]);
        dh = ConvBack("bottleneck.bottleneckconv2", "ba", dh);
        Backward.Relu(dh, rec["ba"]);
        dh = ConvBack("bottleneck.bottleneckconv1", "p4", dh);
        for (int i = 4; i >= 1; i--)
        {
            var de = Backward.MaxPool(rec[$"e{i}"], dh);
            System.Numerics.Tensors.TensorPrimitives.Add(de.Span, Backward.ChannelsFrom(skipGrads[i], widths[i - 1]), de.Span);
            Backward.Relu(de, rec[$"e{i}"]);
            dh = ConvBack($"encoder{i}.enc{i}conv2", $"e{i}a", de);
            Backward.Relu(dh, rec[$"e{i}a"]);
            // The input frame needs no gradient.
            if (i > 1) dh = ConvBack($"encoder{i}.enc{i}conv1", $"p{i - 1}", dh);
            else ConvBack("encoder1.enc1conv1", "x", dh, needDx: false);
        }
    }
}
