using Reel.Engine.Checkpoints;
using Reel.Engine.Tensors;

namespace Reel.Engine.Pipeline;

/// <summary>
/// Holds a sequence of frames for the many passes training makes over a shot: in memory while
/// they fit <see cref="BudgetBytes"/>, otherwise as .npy files in a private temp folder that is
/// deleted on dispose. Memory then stays flat however long the shot is. The folder's name carries
/// this process's id (<c>reel-frames-PID-GUID</c>), so the folders of a killed run are removed by
/// the next store that spills.
/// </summary>
public sealed class FrameStore : IDisposable
{
    private readonly List<Tensor?> _memory = new();
    private readonly List<string?> _files = new();
    private string? _spillDir;
    private long _bytesInMemory;

    public FrameStore(long budgetBytes) => BudgetBytes = budgetBytes;

    public long BudgetBytes { get; }
    public int Count => _memory.Count;
    public bool Spilled => _spillDir is not null;

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
        _spillDir ??= NewSpillFolder();
        var path = Path.Combine(_spillDir, $"{_files.Count:D6}.npy");
        Npy.Write(path, frame);
        _memory.Add(null);
        _files.Add(path);
    }

    private const string SpillPrefix = "reel-frames-";

    private static string NewSpillFolder()
    {
        var temp = Path.GetTempPath();
        OwnedName.RemoveOrphans(temp, SpillPrefix, "");
        return Directory.CreateDirectory(Path.Combine(temp, SpillPrefix + OwnedName.NewTag())).FullName;
    }

    public Tensor this[int index] => _memory[index] ?? Npy.Read(_files[index]!);

    public void Dispose()
    {
        if (_spillDir is not null && Directory.Exists(_spillDir)) Directory.Delete(_spillDir, recursive: true);
        _spillDir = null;
    }
}
