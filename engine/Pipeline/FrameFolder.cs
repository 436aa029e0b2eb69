using Reel.Engine.Video;

namespace Reel.Engine.Pipeline;

/// <summary>A folder of frames (PNG/JPEG/…), taken in name order (<see cref="FolderSink"/> writes one).</summary>
public static class FrameFolder
{
    /// <param name="what">How the folder is named in errors ("frame folder", "dataset folder").</param>
    public static IReadOnlyList<string> List(string folder, string what = "frame folder")
    {
        if (File.Exists(folder)) throw new ReelException($"{folder} is a file, not a {what}");
        if (!Directory.Exists(folder)) throw new ReelException($"{what} not found: {folder}");
        var files = Directory.EnumerateFiles(folder).Where(ImageIO.IsImagePath).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new ReelException($"no images (.png, .jpg, .bmp, .tif, .webp) in {folder}");
        return files;
    }
}
