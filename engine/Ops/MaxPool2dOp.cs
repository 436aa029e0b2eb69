using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>Max pooling with a square window, no padding (PyTorch MaxPool2d(k, stride)); ties go to the first in row-major order.</summary>
public sealed record MaxPool2dOp(int Kernel = 2, int Stride = 2) : Op
{
    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && x.H >= Kernel && x.W >= Kernel, $"max-pool {Kernel}×{Kernel} needs an NCHW input at least that large, got {x}");
        Require(Kernel >= 1 && Stride >= 1, "max-pool kernel and stride must be ≥ 1");
        return new Shape(x.N, x.C, (x.H - Kernel) / Stride + 1, (x.W - Kernel) / Stride + 1);
    }
}
