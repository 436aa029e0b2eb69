using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends;

/// <summary>An op bound to its parameters on one backend (weights packed once, reused per call).</summary>
public interface IPreparedOp
{
    Op Op { get; }
    Tensor Run(params Tensor[] activations);
}

/// <summary>Something that executes ops. Backends declare support per op; unsupported ops are never guessed at.</summary>
public interface IBackend
{
    string Name { get; }
    bool Supports(Op op);

    /// <summary>Binds <paramref name="op"/> to its parameters (checked against the op's parameter shapes).</summary>
    IPreparedOp Prepare(Op op, params Tensor[] parameters);
}

public static class BackendExtensions
{
    /// <summary>Runs one op once: inputs are the activations followed by the parameters.</summary>
    public static Tensor Execute(this IBackend backend, Op op, params Tensor[] inputs)
    {
        int a = op.ActivationCount;
        if (inputs.Length < a) throw new ArgumentException($"{op.GetType().Name} needs {a} activation inputs");
        return backend.Prepare(op, inputs[a..]).Run(inputs[..a]);
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
