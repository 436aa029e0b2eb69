namespace Reel.Engine.Checkpoints;

/// <summary>A tensor as described by `_rebuild_tensor_v2`: a view into a storage.</summary>
internal sealed record TensorRef(StorageRef Storage, long StorageOffset, long[] Size, long[] Stride);
