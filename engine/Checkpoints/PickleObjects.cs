namespace Reel.Engine.Checkpoints;

/// <summary>A pickled tuple (kept distinct from lists: torch uses tuples for sizes and ids).</summary>
public sealed record PickleTuple(object?[] Items)
{
    public int Count => Items.Length;
    public object? this[int i] => Items[i];
}

/// <summary>A pickled dict or OrderedDict, insertion order kept.</summary>
public sealed class PickleDict
{
    private readonly List<KeyValuePair<object, object?>> _items = new();
    private readonly Dictionary<object, int> _index = new();

    public IReadOnlyList<KeyValuePair<object, object?>> Items => _items;
    public int Count => _items.Count;

    /// <summary>Attributes set on the dict by BUILD (torch stores `_metadata` there); kept, never executed.</summary>
    public object? State { get; set; }

    public void Set(object key, object? value)
    {
        if (_index.TryGetValue(key, out var i)) _items[i] = new(key, value);
        else
        {
            _index[key] = _items.Count;
            _items.Add(new(key, value));
        }
    }

    public bool TryGet(object key, out object? value)
    {
        if (_index.TryGetValue(key, out var i)) { value = _items[i].Value; return true; }
        value = null;
        return false;
    }
}

/// <summary>A reference to one of the few globals the restricted unpickler allows.</summary>
public sealed record PickleGlobal(string Module, string Name)
{
    public string FullName => Module + "." + Name;
}

/// <summary>The element type of a torch storage, from its `torch.XxxStorage` global.</summary>
public enum StorageDType { Float32, Float64, Float16, BFloat16, Int64, Int32, Int16, Int8, UInt8, Bool }

/// <summary>A storage named by a persistent id; its bytes are fetched by the container format.</summary>
public sealed class StorageRef
{
    public required string Key { get; init; }
    public required StorageDType DType { get; init; }
    public required long ElementCount { get; init; }
    /// <summary>Filled in by the container reader once the raw bytes are located.</summary>
    public byte[]? Bytes { get; set; }
}

/// <summary>A tensor as described by `_rebuild_tensor_v2`: a view into a storage.</summary>
public sealed record TensorRef(StorageRef Storage, long StorageOffset, long[] Size, long[] Stride);
