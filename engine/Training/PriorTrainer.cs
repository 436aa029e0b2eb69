using Reel.Engine.Backends;
using Reel.Engine.Models;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Training;

/// <summary>
/// Trains a <see cref="VideoPrior"/> one frame at a time: forward with every intermediate kept,
/// the loss and its gradient, the backward pass through the U-Net, then an Adam step. It only
/// sequences ops: every computation, forward and backward, is the backend's, on the backend's
/// memory (the net's parameters, the gradients and Adam's moments live there for the trainer's
/// lifetime; only the frames, the step's Adam corrections and the loss cross). A step is repeated
/// work (<see cref="IBackend.Repeat"/>): on a GPU it is captured into a graph once per loss kind and
/// frame shape and replayed, the loss read back after the replay.
/// </summary>
public sealed class PriorTrainer : IDisposable
{
    private readonly VideoPrior _net;
    private readonly IBackend _backend;
    private readonly Adam _adam;
    private readonly Dictionary<string, Tensor> _grads = new();
    private readonly IWorkspace _workspace;
    private readonly Dictionary<(PriorLossKind Kind, int ValidH, int ValidW), IRepeatedWork> _steps = new();

    /// <param name="net">Its parameters must live where <paramref name="backend"/> computes (<see cref="VideoPrior.MoveTo"/>).</param>
    public PriorTrainer(VideoPrior net, IBackend backend, float learningRate = 1e-4f)
    {
        _net = net;
        _backend = backend.ForTraining();
        _adam = new Adam(learningRate, backend: _backend);
        _workspace = _backend.CreateWorkspace();
        foreach (var (name, t) in net.Parameters) _grads[name] = _backend.Zeros(t.Shape);
    }

    /// <summary>The optimizer: its step count and moments are what a saved training keeps besides the weights.</summary>
    public Adam Optimizer => _adam;

    /// <summary>Gradients of the last <see cref="ComputeGradients"/>, by parameter name, on the backend.</summary>
    public IReadOnlyDictionary<string, Tensor> Gradients => _grads;

    /// <summary>One optimizer step: gradients, then Adam. Returns the loss.</summary>
    public double Step(PriorLossKind kind, Tensor input, Tensor processed, int validH, int validW)
    {
        using var loss = Enqueue(kind, input, processed, validH, validW);
        return loss.Wait()[0];
    }

    /// <summary>
    /// One optimizer step, queued: its loss comes back as a read to wait for when it is wanted, so on a
    /// GPU the host can queue the next step (and upload its frames) while this one runs.
    /// </summary>
    public IPendingRead Enqueue(PriorLossKind kind, Tensor input, Tensor processed, int validH, int validW)
    {
        if (!_steps.TryGetValue((kind, validH, validW), out var step))
            _steps[(kind, validH, validW)] = step = _backend.Repeat(inputs =>
            {
                var loss = ForwardBackward(kind, inputs[0], inputs[1], validH, validW);
                _adam.Apply(_net.Parameters, _grads, inputs[2]);
                return new[] { loss };
            });
        // The step count stays on the host; its corrections go in with the frames.
        using var corrections = _adam.NextStep();
        using var result = step.Run(input, processed, corrections)[0];
        return _backend.ReadLater(result);
    }

    /// <summary>Forward, loss and backward, leaving ∂L/∂θ in <see cref="Gradients"/>; no update.</summary>
    public double ComputeGradients(PriorLossKind kind, Tensor input, Tensor processed, int validH, int validW)
    {
        using var loss = ForwardBackward(kind, input, processed, validH, validW);
        return loss.ToHost().Data[0];
    }

    /// <summary>Forward, loss and backward into <see cref="Gradients"/>; returns the loss, a (1) tensor on the backend that the caller owns.</summary>
    private Tensor ForwardBackward(PriorLossKind kind, Tensor input, Tensor processed, int validH, int validW)
    {
        var loss = _backend.Zeros(new Shape(1));
        // Every activation and gradient of the step comes from the workspace and goes back to it at the end.
        using var scope = _workspace.Open();
        // The two frames are what crosses to the device each step (nothing moves on the CPU).
        using var x = _backend.Import(input);
        using var p = _backend.Import(processed);
        var rec = new Dictionary<string, Tensor>();
        var output = _net.Forward(x, _backend, rec);
        RunInto(new PriorLossOp(kind, validH, validW), loss, output, x, p);
        var dOut = Run(new PriorLossBackwardOp(kind, validH, validW), output, x, p);
        BackwardPass(rec, dOut);
        return loss;
    }

    private Tensor Run(Op op, params Tensor[] activations)
    {
        using var prepared = _backend.Prepare(op);
        return prepared.Run(activations);
    }

    private void RunInto(Op op, Tensor output, params Tensor[] activations)
    {
        using var prepared = _backend.Prepare(op);
        prepared.RunInto(output, activations);
    }

    private void BackwardPass(Dictionary<string, Tensor> rec, Tensor dOut)
    {
        var p = _net.Parameters;
        var widths = VideoPrior.Widths(_net.Width);
        // Each gradient is written (not added to) by exactly one call here, so none is zeroed first.
        Tensor ConvBack(string layer, string input, Tensor dy, bool bias = false, bool needDx = true)
        {
            var x = rec[input];
            var w = p[layer + ".weight"];
            int k = w.Shape[2];
            var forward = new Conv2dOp(w.Shape[1], w.Shape[0], k, k, 1, k / 2);
            RunInto(new Conv2dBackwardWeightOp(forward), _grads[layer + ".weight"], x, dy);
            if (bias) RunInto(new Conv2dBackwardBiasOp(w.Shape[0]), _grads[layer + ".bias"], dy);
            if (!needDx) return null!;
            using var data = _backend.Prepare(new Conv2dBackwardDataOp(forward, x.Shape.H, x.Shape.W), w);
            return data.Run(dy);
        }
        // ReLU's gradient in place on the gradient flowing back.
        void Relu(Tensor dy, string output) => RunInto(new ReluBackwardOp(), dy, dy, rec[output]);

        var dh = ConvBack("conv", "d1", dOut, bias: true);
        var skipGrads = new Tensor[5];
        for (int i = 1; i <= 4; i++)
        {
            Relu(dh, $"d{i}");
            dh = ConvBack($"decoder{i}.dec{i}conv2", $"d{i}a", dh);
            Relu(dh, $"d{i}a");
            dh = ConvBack($"decoder{i}.dec{i}conv1", $"c{i}", dh);
            // The concat's gradient: its first channels go up to the upconv, the rest to the skip.
            skipGrads[i] = dh;
            var dup = ConvBack($"upconv{i}.1", $"up{i}", Run(new SliceChannelsOp(0, widths[i - 1]), dh), bias: true);
            var below = rec[i == 4 ? "b" : $"d{i + 1}"];
            dh = Run(new ResizeBilinearBackwardOp(new ResizeBilinearOp(dup.Shape.H, dup.Shape.W, AlignCorners: true), below.Shape.H, below.Shape.W), dup);
        }
        Relu(dh, "b");
        dh = ConvBack("bottleneck.bottleneckconv2", "ba", dh);
        Relu(dh, "ba");
        dh = ConvBack("bottleneck.bottleneckconv1", "p4", dh);
        for (int i = 4; i >= 1; i--)
        {
            var de = Run(new MaxPool2dBackwardOp(new MaxPool2dOp()), rec[$"e{i}"], dh);
            RunInto(new AddOp(widths[i - 1]), de, de, skipGrads[i]);
            Relu(de, $"e{i}");
            dh = ConvBack($"encoder{i}.enc{i}conv2", $"e{i}a", de);
            Relu(dh, $"e{i}a");
            // The input frame needs no gradient.
            if (i > 1) dh = ConvBack($"encoder{i}.enc{i}conv1", $"p{i - 1}", dh);
            else ConvBack("encoder1.enc1conv1", "x", dh, needDx: false);
        }
    }

    /// <summary>Frees the recorded steps, the gradients and Adam's moments (device memory on a GPU backend).</summary>
    public void Dispose()
    {
        foreach (var s in _steps.Values) s.Dispose();
        _steps.Clear();
        foreach (var g in _grads.Values) g.Dispose();
        _grads.Clear();
        _adam.Dispose();
        _workspace.Dispose();
    }
}
