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

    /// <summary>An empty map; <paramref name="source"/> names where its tensors come from in error messages.</summary>
    public WeightMap(string source) => Source = source;

    /// <summary>Where the tensors came from, for error messages.</summary>
    public string Source { get; }

    /// <summary>
    /// The file's content as a restore records it ("sha256 … (N bytes)", <see cref="CheckpointLoader"/>): what it held when it
    /// was read, not where it lies, so a copy elsewhere is the same checkpoint and a file rewritten since is not. Null for tensors not read from a file.
    /// </summary>
    public string? Identity { get; internal set; }

    /// <summary>A safetensors file's <c>__metadata__</c> (text to text); empty for other formats.</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>The tensors' names in the order they were added (the checkpoint's order).</summary>
    public IReadOnlyList<string> Names => _order;
    /// <summary>How many tensors the map holds.</summary>
    public int Count => _order.Count;

    /// <summary>Adds <paramref name="tensor"/> as <paramref name="name"/> (a DataParallel `module.` prefix dropped); a name given twice is an error.</summary>
    public void Add(string name, Tensor tensor)
    {
        if (name.StartsWith(DataParallelPrefix, StringComparison.Ordinal)) name = name[DataParallelPrefix.Length..];
        if (!_tensors.TryAdd(name, tensor)) throw new CheckpointException($"{Source}: tensor '{name}' appears twice");
        _order.Add(name);
    }

    /// <summary>Whether a tensor called <paramref name="name"/> (with or without the `module.` prefix) is present.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(Strip(name));

    /// <summary>The tensor called <paramref name="name"/>, if present, shape unchecked.</summary>
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
