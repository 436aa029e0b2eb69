using Reel.Engine.Tensors;
using Reel.Engine.Video;

namespace Reel.Engine.Pipeline;

/// <summary>A folder of frames (PNG/JPEG/…), taken in name order; the output side writes atomically.</summary>
public static class FrameFolder
{
    public static IReadOnlyList<string> List(string folder)
    {
        if (File.Exists(folder))
            throw new ReelException($"{folder} is a file, not a folder of frames");
        if (!Directory.Exists(folder)) throw new ReelException($"frame folder not found: {folder}");
        var files = Directory.EnumerateFiles(folder).Where(ImageIO.IsImagePath).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new ReelException($"no frames (.png, .jpg, …) in {folder}");
        return files;
    }

    /// <summary>
    /// Writes frames into a hidden sibling folder and renames it to <paramref name="folder"/> only
    /// when all are written, so a failed or interrupted run leaves no half-filled output.
    /// </summary>
    public static void WriteAll(string folder, IReadOnlyList<string> names, Func<int, Tensor> frame, Action<int>? onWritten = null)
    {
        var full = Path.GetFullPath(folder);
        var parent = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(parent)) throw new ReelException($"output folder's parent does not exist: {parent}");
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
            throw new ReelException($"output folder {folder} exists and is not empty; choose a new one");
        var tmp = Path.Combine(parent, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(tmp);
        try
        {
            for (int i = 0; i < names.Count; i++)
            {
                ImageIO.Write(Path.Combine(tmp, Path.ChangeExtension(names[i], ".png")), frame(i));
                onWritten?.Invoke(i);
            }
            if (Directory.Exists(full)) Directory.Delete(full);
            Directory.Move(tmp, full);
        }
        finally
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        }
    }
}
