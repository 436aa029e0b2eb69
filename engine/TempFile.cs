namespace Reel.Engine;

/// <summary>
/// The one way Reel writes an output: into a hidden temporary beside the target (same folder, so
/// the final rename is atomic on one file system), renamed over the target only when complete.
/// A failed or interrupted write never leaves a partial file or clobbers an existing one.
/// </summary>
public static class TempFile
{
    /// <summary>A fresh hidden name beside <paramref name="target"/> that keeps its extension (tools pick formats by it).</summary>
    public static string Beside(string target)
    {
        var full = Path.GetFullPath(target);
        return Path.Combine(Path.GetDirectoryName(full)!,
            $".{Path.GetFileNameWithoutExtension(full)}.{Guid.NewGuid():N}.tmp{Path.GetExtension(full)}");
    }

    /// <summary>Runs <paramref name="write"/> on a temporary path and renames the result onto <paramref name="target"/>.</summary>
    public static void WriteAtomically(string target, Action<string> write)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(target))!;
        if (!Directory.Exists(dir)) throw new ReelException($"output folder does not exist: {dir}");
        var tmp = Beside(target);
        try
        {
            write(tmp);
            File.Move(tmp, target, overwrite: true);
        }
        catch (UnauthorizedAccessException)
        {
            throw new ReelException($"cannot write {target}: permission denied");
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
