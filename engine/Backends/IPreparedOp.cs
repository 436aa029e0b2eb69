using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends;

/// <summary>
/// An op bound to its parameters on one backend (weights packed once, reused per call). Disposing
/// it frees what it holds (packed weights, device scratch memory) at once; the ops of a CPU
/// backend hold only managed memory, so forgetting to dispose them costs nothing but garbage.
/// </summary>
public interface IPreparedOp : IDisposable
{
    /// <summary>The op this was prepared for (its parameters bound).</summary>
    Op Op { get; }

    /// <summary>
    /// Writes the result into <paramref name="output"/>, whose shape must be the inferred one.
    /// Only the first <c>output.Length</c> floats of its buffer are touched (tests put sentinels after).
    /// </summary>
    void RunInto(Tensor output, params Tensor[] activations);

    /// <summary>Whether <see cref="RunInto"/> writes every element of the output, so <see cref="Run"/> need not zero it first.</summary>
    bool WritesWholeOutput => false;

    /// <summary>
    /// The result in a new tensor on this op's backend. An op that moves no data (a run of a
    /// tensor's channels) may return a view of an activation's memory, valid as long as it is.
    /// </summary>
    Tensor Run(params Tensor[] activations)
    {
        var shape = Op.InferShape(activations.Select(t => t.Shape).ToArray());
        var y = WritesWholeOutput ? Tensor.Uninitialized(shape) : new Tensor(shape);
        RunInto(y, activations);
        return y;
    }

    void IDisposable.Dispose()
    {
    }
}
