using Reel.Engine.Tensors;
using Reel.Engine.Video;

namespace Reel.Engine.Pipeline;

/// <summary>
/// A new folder of PNG frames, named after the input frames, gathered in a hidden temporary folder
/// that carries this process's id (see <see cref="OwnedName"/>) and renamed into place at the end.
/// </summary>
public sealed class FolderSink : IFrameSink
{
    private readonly string _target;
    private readonly string _tmp;
    private readonly IReadOnlyList<string> _names;
    private readonly string _sampleAspect;
    private int _next;
    private bool _completed;

    /// <summary>
    /// Starts the temporary folder for <paramref name="folder"/>, whose parent must exist and which must be
    /// missing or empty; frame k is written as <paramref name="names"/>[k] with a .png extension, so
    /// every name must be written before <see cref="Complete"/>, each with the source's pixel shape
    /// (<paramref name="sampleAspect"/>, see <see cref="ImageIO.Write"/>). Temporary folders a killed run left beside it are removed.
    /// </summary>
    public FolderSink(string folder, IReadOnlyList<string> names, string sampleAspect = "1:1")
    {
        _sampleAspect = sampleAspect;
        _target = Path.GetFullPath(folder);
        var parent = Path.GetDirectoryName(_target)!;
        if (!Directory.Exists(parent)) throw new ReelException($"output folder's parent does not exist: {parent}");
        if (Directory.Exists(_target) && Directory.EnumerateFileSystemEntries(_target).Any())
            throw new ReelException($"output folder {folder} exists and is not empty; choose a new one");
        _names = names;
        string prefix = $".{Path.GetFileName(_target)}.";
        OwnedName.RemoveOrphans(parent, prefix, ".tmp");
        _tmp = Path.Combine(parent, $"{prefix}{OwnedName.NewTag()}.tmp");
        Directory.CreateDirectory(_tmp);
    }

    /// <inheritdoc/>
    public void Write(Tensor frame, long ptsNs) => ImageIO.Write(Path.Combine(_tmp, Path.ChangeExtension(_names[_next++], ".png")), frame, _sampleAspect);

    /// <inheritdoc/>
    public void Complete(CancellationToken cancel = default)
    {
        if (_next != _names.Count) throw new InvalidOperationException($"{_next} of {_names.Count} frames written");
        if (Directory.Exists(_target)) Directory.Delete(_target);
        Directory.Move(_tmp, _target);
        _completed = true;
    }

    /// <summary>Removes the temporary folder unless <see cref="Complete"/> moved it into place.</summary>
    public void Dispose()
    {
        if (!_completed && Directory.Exists(_tmp)) Directory.Delete(_tmp, recursive: true);
    }
}
