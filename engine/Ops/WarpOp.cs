using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// Backward warp by a flow: y(p) = x(p + flow(p)), bilinear, the frame's edge repeated outside it
/// (OpenCV's remap with INTER_LINEAR and BORDER_REPLICATE, without its 1/32-pixel quantization).
/// Activations: x (N, C, H, W), flow (N, 2, H, W). Output (N, C, H, W).
/// </summary>
public sealed record WarpOp : Op
{
    /// <inheritdoc/>
    public override int ActivationCount => 2;

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var (x, f) = (inputs[0], inputs[1]);
        Require(x.Rank == 4 && f.Rank == 4 && f.C == 2 && x.N == f.N && x.H == f.H && x.W == f.W,
            $"warp needs an NCHW frame and a (N, 2, H, W) flow of the same size, got {x} and {f}");
        return x;
    }
}
