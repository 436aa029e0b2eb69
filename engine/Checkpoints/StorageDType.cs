namespace Reel.Engine.Checkpoints;

/// <summary>The element type of a torch storage, from its `torch.XxxStorage` global.</summary>
internal enum StorageDType { Float32, Float64, Float16, BFloat16, Int64, Int32, Int16, Int8, UInt8, Bool }
