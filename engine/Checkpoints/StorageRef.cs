namespace Reel.Engine.Checkpoints;

/// <summary>A storage named by a persistent id; its bytes are fetched by the container format.</summary>
internal sealed class StorageRef
{
    public required string Key { get; init; }
    public required StorageDType DType { get; init; }
    public required long ElementCount { get; init; }
    /// <summary>Filled in by the container reader once the raw bytes are located.</summary>
    public byte[]? Bytes { get; set; }
}
