using System.Text.RegularExpressions;

namespace Reel.Engine;

/// <summary>
/// Names for temporary files and folders that carry the id of the process that made them
/// (<c>PREFIX{pid}-{guid}SUFFIX</c>), so a later run can tell what a killed run left behind (its
/// owner is gone) from what a live run is still writing, and remove only the former.
/// </summary>
public static class OwnedName
{
    /// <summary>A fresh tag for this process: its id and a random guid.</summary>
    public static string NewTag() => $"{Environment.ProcessId}-{Guid.NewGuid():N}";

    /// <summary>
    /// Removes the files and folders in <paramref name="folder"/> named
    /// <paramref name="prefix"/> + tag + <paramref name="suffix"/> whose owner no longer runs.
    /// Returns how many were removed. What cannot be removed is left for a later run.
    /// </summary>
    public static int RemoveOrphans(string folder, string prefix, string suffix)
    {
        if (!Directory.Exists(folder)) return 0;
        var pattern = new Regex($"^{Regex.Escape(prefix)}(\\d+)-[0-9a-f]{{32}}{Regex.Escape(suffix)}$", RegexOptions.CultureInvariant);
        int removed = 0;
        foreach (var path in Directory.EnumerateFileSystemEntries(folder))
        {
            var m = pattern.Match(Path.GetFileName(path));
            if (!m.Success || !int.TryParse(m.Groups[1].Value, out var pid)) continue;
            if (pid == Environment.ProcessId || Libc.ProcessExists(pid)) continue;
            try
            {
                if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
                else File.Delete(path);
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another run may be removing it at the same moment, or it is not ours to remove.
            }
        }
        return removed;
    }
}
