using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends;

/// <summary>
/// A <see cref="ConvChainOp"/> layer by layer on any backend: each layer prepared on the backend as the
/// convolution it is, its result in the backend's memory (two buffers per shape to ping-pong between,
/// kept from run to run, so a captured graph's addresses stay put) and checked for non-finite values
/// under its own name as it comes. The CPU backends run every chain so; the GPU runs its bf16 chains
/// its own way (activations kept bfloat16 between the layers) and the others so.
/// </summary>
internal sealed class ConvChain : IPreparedOp
{
    private readonly IBackend _backend;
    private readonly ConvChainOp _op;
    private readonly IPreparedOp[] _layers;
    private readonly Dictionary<(Shape Shape, int Parity), Tensor> _buffers = new();

    public ConvChain(IBackend backend, ConvChainOp op, Tensor[] parameters)
    {
        BackendExtensions.CheckParameters(op, parameters);
        _backend = backend;
        _op = op;
        var perLayer = op.PerLayer(parameters);
        _layers = op.Layers.Select((layer, i) => backend.Prepare(layer, perLayer[i])).ToArray();
    }

    public Op Op => _op;

    public bool WritesWholeOutput => true;

    /// <summary>The result in the backend's memory, or on the host when the input is there (as a device op stages it back).</summary>
    public Tensor Run(params Tensor[] activations)
    {
        var shape = _op.InferShape(activations.Select(t => t.Shape).ToArray());
        var y = activations.Any(a => a.IsOnHost) ? Tensor.Uninitialized(shape) : _backend.Zeros(shape);
        RunInto(y, activations);
        return y;
    }

    public void RunInto(Tensor output, params Tensor[] activations)
    {
        BackendExtensions.CheckOutput(_op, output, activations);
        var h = activations[0];
        for (int i = 0; i < _layers.Length; i++)
        {
            var dst = i == _layers.Length - 1 ? output : Buffer(_op.Layers[i].InferShape(new[] { h.Shape }), i % 2);
            _layers[i].RunInto(dst, h);
            _backend.EnsureFinite(dst, $"{_op.Name} layer {i + 1} of {_layers.Length}");
            h = dst;
        }
    }

    private Tensor Buffer(Shape shape, int parity)
    {
        if (!_buffers.TryGetValue((shape, parity), out var buffer)) _buffers[(shape, parity)] = buffer = _backend.Zeros(shape);
        return buffer;
    }

    /// <summary>Frees the prepared layers and the buffers (device memory on a GPU).</summary>
    public void Dispose()
    {
        foreach (var layer in _layers) layer.Dispose();
        foreach (var buffer in _buffers.Values) buffer.Dispose();
        _buffers.Clear();
    }
}
