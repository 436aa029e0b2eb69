using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// One operation, declared once: its parameters and its shape inference. Backends say
/// whether they support it and implement it; the CPU reference backend is the oracle.
/// Inputs are passed as activations followed by parameters, in the order each op documents.
/// </summary>
public abstract record Op
{
    /// <summary>How many leading inputs are activations; the rest are parameters (weights).</summary>
    public virtual int ActivationCount => 1;

    /// <summary>Shapes the parameters must have, in order.</summary>
    public virtual IReadOnlyList<Shape> ParameterShapes => Array.Empty<Shape>();

    /// <summary>The output shape for the given activation shapes, or an exception naming the mismatch.</summary>
    public abstract Shape InferShape(IReadOnlyList<Shape> inputs);

    /// <summary>Throws an <see cref="ArgumentException"/> saying <paramref name="what"/> is wrong unless <paramref name="ok"/>.</summary>
    protected static void Require(bool ok, string what)
    {
        if (!ok) throw new ArgumentException(what);
    }
}
