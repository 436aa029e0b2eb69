namespace Reel.Engine.Checkpoints;

/// <summary>A pickled tuple (kept distinct from lists: torch uses tuples for sizes and ids).</summary>
internal sealed record PickleTuple(object?[] Items)
{
    public int Count => Items.Length;
    public object? this[int i] => Items[i];
}
