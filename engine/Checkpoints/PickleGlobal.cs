namespace Reel.Engine.Checkpoints;

/// <summary>A reference to one of the few globals the restricted unpickler allows.</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public string FullName => Module + "." + Name;
}
