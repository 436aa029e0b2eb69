using System.CommandLine;
using Reel.Engine.Pipeline;

namespace Reel.Cli.Commands;

/// <summary>The `--deinterlace auto|all|ivtc|off` switch: how an interlaced video input is read, the same wherever a command reads one.</summary>
public static class DeinterlaceChoice
{
    public static Option<string> CreateOption(string what = "restoring")
    {
        var option = new Option<string>("--deinterlace")
        {
            Description = $"Join an interlaced video's fields before {what} (bwdif, frames and timestamps kept): auto, when the video says it is interlaced and ffmpeg's idet does not find its frames whole, its frames flagged so; all, every frame; ivtc, telecined film (3:2 pulldown): the film's frames rebuilt, 4 of every 5 kept; off, frames as they are",
            DefaultValueFactory = _ => "auto",
        };
        option.AcceptOnlyFromAmong("auto", "all", "ivtc", "off");
        return option;
    }

    public static Deinterlace Parse(string value) => value switch
    {
        "all" => Deinterlace.All,
        "ivtc" => Deinterlace.Ivtc,
        "off" => Deinterlace.Off,
        _ => Deinterlace.Auto,
    };
}
