using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends;

/// <summary>Running an op once on any backend, reading a tensor back later, and the argument checks every backend's prepared ops share.</summary>
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

    /// <summary>
    /// <paramref name="t"/>'s values as a host tensor, later: t itself when it is on the host already,
    /// else a read queued behind the work that makes it (<see cref="IBackend.ReadLater"/>). The caller
    /// may dispose t as soon as this returns.
    /// </summary>
    public static PendingTensor ReadTensorLater(this IBackend backend, Tensor t) =>
        t.IsOnHost ? new PendingTensor(t) : new PendingTensor(backend.ReadLater(t), t.Shape);

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
