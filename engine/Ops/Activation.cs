namespace Reel.Engine.Ops;

/// <summary>An activation fused into the op that precedes it.</summary>
public enum Activation { None, Relu }
