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

/// <summary>Something that executes ops. Backends declare support per op; unsupported ops are never guessed at.</summary>
public interface IBackend
{
    string Name { get; }
    bool Supports(Op op);

    /// <summary>Binds <paramref name="op"/> to its parameters (checked against the op's parameter shapes).</summary>
    IPreparedOp Prepare(Op op, params Tensor[] parameters);

    /// <summary>
    /// The backend to train on: the same memory and device, with algorithms whose rounding Adam
    /// tolerates (it divides each gradient by its own running size, so rounding differences in
    /// small gradients become full-size steps). Most backends are that already.
    /// </summary>
    IBackend ForTraining() => this;

    /// <summary>A tensor of zeros in this backend's memory (the host's for a CPU backend), owned by the caller.</summary>
    Tensor Zeros(Shape shape) => new(shape);

    /// <summary>
    /// <paramref name="t"/>'s values in this backend's memory, for the caller to dispose: t itself (or a
    /// view of it) when it is there already, else a copy. Disposing the result never frees t.
    /// </summary>
    Tensor Import(Tensor t) => t.ToHost();

    /// <summary>Memory this backend recycles across the repetitions of a piece of work (a training step).</summary>
    IWorkspace CreateWorkspace() => new TensorArena();

    /// <summary>
    /// Throws a <see cref="ReelException"/> naming <paramref name="where"/> if any element of
    /// <paramref name="t"/> is NaN or infinite. A GPU backend checks on the device and may report it
    /// at the next point where the host waits for the device rather than at once.
    /// </summary>
    void EnsureFinite(Tensor t, string where) => t.EnsureFinite(where);

    /// <summary>Waits until the work given so far is done (a GPU computes asynchronously; a CPU backend has finished already).</summary>
    void Synchronize()
    {
    }

    /// <summary>
    /// Runs <paramref name="work"/> and returns the device's own milliseconds for what it enqueued
    /// (events recorded on the device before and after, waited for), or null on a backend with no
    /// device clock: a CPU backend's work is done when the call returns, so the host's clock times it.
    /// </summary>
    double? TimeOnDevice(Action work)
    {
        work();
        return null;
    }
}

public static class BackendExtensions
{
    /// <summary>Runs one op once (<see cref="IPreparedOp.Run"/>, so possibly a view): inputs are the activations followed by the parameters.</summary>
    public static Tensor Execute(this IBackend backend, Op op, params Tensor[] inputs)
    {
        int a = op.ActivationCount;
        if (inputs.Length < a) throw new ArgumentException($"{op.GetType().Name} needs {a} activation inputs");
        using var prepared = backend.Prepare(op, inputs[a..]);
        return prepared.Run(inputs[..a]);
    }

    internal static void CheckOutput(Op op, Tensor output, Tensor[] activations)
    {
        if (activations.Length != op.ActivationCount)
            throw new ArgumentException($"{op.GetType().Name} takes {op.ActivationCount} activation inputs, got {activations.Length}");
        var expected = op.InferShape(activations.Select(t => t.Shape).ToArray());
        if (!output.Shape.Equals(expected))
            throw new ArgumentException($"{op.GetType().Name} output has shape {output.Shape}, expected {expected}");
    }

    internal static void CheckParameters(Op op, Tensor[] parameters)
    {
        var expected = op.ParameterShapes;
        if (parameters.Length != expected.Count)
            throw new ArgumentException($"{op.GetType().Name} takes {expected.Count} parameters, got {parameters.Length}");
        for (int i = 0; i < expected.Count; i++)
            if (!parameters[i].Shape.Equals(expected[i]))
                throw new ArgumentException($"{op.GetType().Name} parameter {i} has shape {parameters[i].Shape}, expected {expected[i]}");
    }
}
