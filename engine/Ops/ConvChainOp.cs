using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// Convolutions one after another, each on the last one's output: a network's plain stack (DnCNN's).
/// Input: x (N, Cin of the first layer, H, W); parameters: each layer's weight, then its bias when it
/// has one, in layer order. One op, not a run of conv ops, so that a backend may keep the activations
/// between the layers in a form of its own (the GPU's bf16 keeps them bfloat16 NHWC). <see cref="Name"/>
/// names the stack in the finite checks of its layers ("DnCNN layer 3 of 20").
/// </summary>
public sealed record ConvChainOp(string Name, IReadOnlyList<Conv2dOp> Layers) : Op
{
    /// <inheritdoc/>
    public override IReadOnlyList<Shape> ParameterShapes => Layers.SelectMany(l => l.ParameterShapes).ToArray();

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        Require(Layers.Count > 0, $"{Name}: a chain of convolutions needs at least one layer");
        var shape = inputs[0];
        foreach (var layer in Layers) shape = layer.InferShape(new[] { shape });
        return shape;
    }

    /// <summary>The parameters (tensors, device pointers) in the op's order, split by layer: weight, then bias where the layer has one.</summary>
    public T[][] PerLayer<T>(IReadOnlyList<T> parameters)
    {
        var split = new T[Layers.Count][];
        int next = 0;
        for (int i = 0; i < Layers.Count; i++)
        {
            int count = Layers[i].ParameterShapes.Count;
            split[i] = Enumerable.Range(next, count).Select(j => parameters[j]).ToArray();
            next += count;
        }
        return split;
    }
}
