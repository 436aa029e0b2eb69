using Reel.Engine.Tensors;

namespace Reel.Engine.Checkpoints;

/// <summary>
/// Named tensors from a checkpoint. Lookups tolerate the `module.` prefix that
/// DataParallel adds, and failures name the tensor and the shapes involved.
/// </summary>
public sealed class WeightMap
{
    private const string DataParallelPrefix = "module.";
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);
    private readonly List<string> _order = new();

    public WeightMap(string source) => Source = source;

    /// <summary>Where the tensors came from, for error messages.</summary>
    public string Source { get; }

    public IReadOnlyList<string> Names => _order;
    public int Count => _order.Count;

    public void Add(string name, Tensor tensor)
    {
        if (name.StartsWith(DataParallelPrefix, StringComparison.Ordinal)) name = name[DataParallelPrefix.Length..];
        if (!_tensors.TryAdd(name, tensor)) throw new CheckpointException($"{Source}: tensor '{name}' appears twice");
        _order.Add(name);
    }

    public bool Contains(string name) => _tensors.ContainsKey(Strip(name));

    public bool TryGet(string name, out Tensor tensor) => _tensors.TryGetValue(Strip(name), out tensor!);

    /// <summary>The tensor called <paramref name="name"/>; if <paramref name="expected"/> is given, it must have that shape.</summary>
    public Tensor Get(string name, params int[] expected)
    {
        if (!TryGet(name, out var t))
            throw new CheckpointException($"{Source}: missing tensor '{name}'{(expected.Length > 0 ? $" of shape ({string.Join(", ", expected)})" : "")} — is this the right checkpoint for this model?");
        if (expected.Length > 0 && !t.Shape.Dims.SequenceEqual(expected))
            throw new CheckpointException($"{Source}: tensor '{name}' has shape {t.Shape}, expected ({string.Join(", ", expected)})");
        // A NaN or infinity in a weight would turn every frame black; say where instead.
        foreach (var v in t.Span)
            if (!float.IsFinite(v)) throw new CheckpointException($"{Source}: tensor '{name}' contains {v}; the checkpoint is damaged");
        return t;
    }

    private static string Strip(string name) =>
        name.StartsWith(DataParallelPrefix, StringComparison.Ordinal) ? name[DataParallelPrefix.Length..] : name;
}
