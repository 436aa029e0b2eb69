namespace Reel.Engine.Ops;

/// <summary>An activation fused into the op that precedes it.</summary>
public enum Activation
{
    /// <summary>The op's output as it is.</summary>
    None,
    /// <summary>max(y, 0) applied to the op's output in the same pass.</summary>
    Relu,
}
