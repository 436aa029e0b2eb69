using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// The first activation (the canvas) with the second (the patch, of the same frames and channels)
/// written over it, the patch's top-left at (<see cref="Top"/>, <see cref="Left"/>): how a tiled
/// network puts each tile's result into the frame. The output may be the canvas itself; then only
/// the patch's window is written.
/// </summary>
public sealed record PasteOp(int Top, int Left) : Op
{
    /// <inheritdoc/>
    public override int ActivationCount => 2;

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var (canvas, patch) = (inputs[0], inputs[1]);
        Require(canvas.Rank == 4 && patch.Rank == 4 && patch.N == canvas.N && patch.C == canvas.C && Top >= 0 && Left >= 0 &&
                Top + patch.H <= canvas.H && Left + patch.W <= canvas.W,
            $"a {patch} patch at ({Top}, {Left}) does not fit a {canvas} canvas");
        return canvas;
    }
}
