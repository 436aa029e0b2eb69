using Reel.Engine.Checkpoints;
using Reel.Engine.Tensors;

namespace Reel.Engine.Pipeline;

/// <summary>
/// Holds a sequence of frames for the many passes training makes over a shot: where they were
/// computed (host memory, or device memory on a GPU, where a training step then reads them without
/// a copy across the bus) while they fit <see cref="BudgetBytes"/>, otherwise as .npy files in a
/// private temp folder that is deleted on dispose. Memory then stays flat however long the shot is.
/// The folder's name carries this process's id (<c>reel-frames-PID-GUID</c>), so the folders of a
/// killed run are removed by the next store that spills.
/// </summary>
public sealed class FrameStore : IDisposable
{
    private readonly List<Tensor?> _memory = new();
    private readonly List<string?> _files = new();
    private string? _spillDir;
    private long _bytesInMemory;

    /// <summary>An empty store that keeps up to <paramref name="budgetBytes"/> of frames in memory.</summary>
    public FrameStore(long budgetBytes) => BudgetBytes = budgetBytes;

    /// <summary>Bytes of frame data (4 per element) held in memory before later frames go to disk.</summary>
    public long BudgetBytes { get; }
    /// <summary>Frames added so far, in memory and on disk.</summary>
    public int Count => _memory.Count;
    /// <summary>Some frame went to disk.</summary>
    internal bool Spilled => _spillDir is not null;

    /// <summary>
    /// Appends a frame, which the store now owns: kept by reference while it fits the budget (the
    /// caller must not change it afterwards), else its values written to the spill folder and the
    /// tensor disposed (device memory on a GPU goes back at once).
    /// </summary>
    public void Add(Tensor frame)
    {
        long bytes = frame.Length * 4L;
        if (_bytesInMemory + bytes <= BudgetBytes)
        {
            _memory.Add(frame);
            _files.Add(null);
            _bytesInMemory += bytes;
            return;
        }
        using (frame)
        {
            _spillDir ??= NewSpillFolder();
            var path = Path.Combine(_spillDir, $"{_files.Count:D6}.npy");
            Npy.Write(path, frame.ToHost());
            _memory.Add(null);
            _files.Add(path);
        }
    }

    private const string SpillPrefix = "reel-frames-";

    private static string NewSpillFolder()
    {
        var temp = Path.GetTempPath();
        OwnedName.RemoveOrphans(temp, SpillPrefix, "");
        return Directory.CreateDirectory(Path.Combine(temp, SpillPrefix + OwnedName.NewTag())).FullName;
    }

    /// <summary>
    /// Frame <paramref name="index"/> in the order added: the stored tensor itself (the store's: not
    /// for the caller to dispose), or a new host tensor read back from disk.
    /// </summary>
    public Tensor this[int index] => _memory[index] ?? Npy.Read(_files[index]!);

    /// <summary>Frees the frames it holds (device memory on a GPU) and deletes the spill folder and the frames in it.</summary>
    public void Dispose()
    {
        foreach (var t in _memory) t?.Dispose();
        _memory.Clear();
        _files.Clear();
        _bytesInMemory = 0;
        if (_spillDir is not null && Directory.Exists(_spillDir)) Directory.Delete(_spillDir, recursive: true);
        _spillDir = null;
    }
}
