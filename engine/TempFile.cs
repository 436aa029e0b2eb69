namespace Reel.Engine;

/// <summary>
/// The one way Reel writes an output: into a hidden temporary beside the target (same folder, so
/// the final rename is atomic on one file system), flushed to disk and renamed over the target
/// only when complete. A failed or interrupted write never leaves a partial file or clobbers an
/// existing one. Temporaries carry their writer's process id (see <see cref="OwnedName"/>), so
/// those a killed run left are removed by the next run that writes the same target.
/// </summary>
public static class TempFile
{
    /// <summary>A fresh hidden name beside <paramref name="target"/> that keeps its extension (tools pick formats by it).</summary>
    public static string Beside(string target)
    {
        var (dir, prefix, suffix) = Parts(target);
        return Path.Combine(dir, prefix + OwnedName.NewTag() + suffix);
    }

    /// <summary>Removes the temporaries of <paramref name="target"/> whose writer no longer runs; returns how many.</summary>
    public static int RemoveOrphans(string target)
    {
        var (dir, prefix, suffix) = Parts(target);
        return OwnedName.RemoveOrphans(dir, prefix, suffix);
    }

    private static (string Dir, string Prefix, string Suffix) Parts(string target)
    {
        var full = Path.GetFullPath(target.TrimEnd(Path.DirectorySeparatorChar));
        return (Path.GetDirectoryName(full)!, $".{Path.GetFileNameWithoutExtension(full)}.", $".tmp{Path.GetExtension(full)}");
    }

    /// <summary>
    /// Runs <paramref name="write"/> on a temporary path and renames the result onto <paramref name="target"/>.
    /// <paramref name="write"/> is where the result is checked: whatever it throws leaves the target as it was.
    /// </summary>
    public static void WriteAtomically(string target, Action<string> write)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(target))!;
        if (!Directory.Exists(dir)) throw new ReelException($"output folder does not exist: {dir}");
        var tmp = Beside(target);
        try
        {
            write(tmp);
            FlushToDisk(tmp);
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

    /// <summary>
    /// fsync before the rename: otherwise a crash or power cut soon after could leave the new name
    /// pointing at blocks never written, and the old file already gone.
    /// </summary>
    public static void FlushToDisk(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        f.Flush(flushToDisk: true);
    }
}
