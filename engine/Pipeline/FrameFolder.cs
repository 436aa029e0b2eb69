using Reel.Engine.Tensors;
using Reel.Engine.Video;

namespace Reel.Engine.Pipeline;

/// <summary>A folder of frames (PNG/JPEG/…), taken in name order (<see cref="FolderSink"/> writes one).</summary>
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
}
