using System.CommandLine;
using Reel.Engine;
using Reel.Engine.Pipeline;

namespace Reel.Cli.Commands;

/// <summary>`--fps`: the frame rate of a folder of frames, shared by restore, plan, denoise and colorize.</summary>
public static class FolderRate
{
    public static Option<string> CreateOption() =>
        new("--fps") { Description = "Frame rate of a folder of frames (e.g. 24, 24000/1001)", DefaultValueFactory = _ => FrameSource.DefaultFolderRate };

    /// <summary>
    /// Refuses --fps for anything but a folder: a video keeps its own rate, and it was accepted and ignored, so a film
    /// asked for at 24 came out at its 25 without a word; an image has none.
    /// </summary>
    public static void RefuseUnlessFolder(ParseResult r, Option<string> fps, string input)
    {
        if (r.GetResult(fps) is { Implicit: false } && !Directory.Exists(input))
            throw new UsageException($"--fps sets the rate of a folder of frames; {input} is " +
                                    (Reel.Engine.Video.ImageIO.IsImagePath(input) ? "a single image" : $"a video and keeps its own ({r.GetValue(fps)} is not applied)"));
    }
}
