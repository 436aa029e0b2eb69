using System.Globalization;
using Reel.Engine.Video;

namespace Reel.Tests.Support;

/// <summary>Tiny test clips made with ffmpeg's built-in sources, and what ffprobe says about outputs.</summary>
public static class Media
{
    /// <summary>
    /// A noisy gray clip of round(seconds × rate) frames. <paramref name="vfr"/>: every fourth frame is
    /// followed by a gap of three frame durations. <paramref name="subtitles"/> adds a text track.
    /// </summary>
    public static string MakeClip(string dir, string name = "in.mp4", string size = "64x48", double seconds = 0.6, bool audio = true,
        string rate = "10", bool vfr = false, bool subtitles = false, int rotate = 0, string codec = "libx264", string sar = "1")
    {
        var path = Path.Combine(dir, name);
        string secs = seconds.ToString(CultureInfo.InvariantCulture);
        var args = new List<string> { "-v", "error", "-f", "lavfi", "-i", $"testsrc2=size={size}:rate={rate}" };
        int next = 1;
        var maps = new List<string> { "-map", "0:v" };
        if (audio)
        {
            args.AddRange(new[] { "-f", "lavfi", "-t", secs, "-i", $"sine=frequency=440:duration={secs}" });
            maps.AddRange(new[] { "-map", $"{next++}:a", "-c:a", "aac" });
        }
        if (subtitles)
        {
            var srt = Path.Combine(dir, "subs.srt");
            File.WriteAllText(srt, "1\n00:00:00,000 --> 00:00:00,400\nfirst line\n\n2\n00:00:00,400 --> 00:00:00,900\nsecond line\n");
            args.AddRange(new[] { "-i", srt });
            maps.AddRange(new[] { "-map", $"{next++}:s", "-c:s", Path.GetExtension(name) == ".mkv" ? "srt" : "mov_text" });
        }
        string filter = $"format=gray,noise=alls=20:allf=t,setsar={sar}";
        // testsrc2's time base is 1/rate, so these timestamps are whole ticks.
        if (vfr) filter = "setpts='N+floor(N/4)*3'," + filter;
        Assert.True(Rational.TryParse(rate, out var num, out var den));
        int frames = (int)Math.Round(seconds * num / den);
        // The count is the video filter's own (trim): an output's -frames:v ended the whole file with the video's last
        // frame, whose packet came before almost all of the sound (a 0.6 s clip kept 23 ms of it).
        args.AddRange(new[] { "-vf", $"trim=end_frame={frames.ToString(CultureInfo.InvariantCulture)}," + filter, "-fps_mode", "passthrough" });
        args.AddRange(maps);
        // libx264's 4:2:0 needs even sizes; ffv1 keeps any size.
        args.AddRange(codec == "libx264" ? new[] { "-c:v", "libx264", "-pix_fmt", "yuv420p" } : new[] { "-c:v", codec });
        var encoded = rotate == 0 ? path : Path.Combine(dir, "unrotated-" + name);
        args.Add(encoded);
        Ffmpeg.Run(Ffmpeg.FfmpegPath, args, ReadOnlyMemory<byte>.Empty, path);
        if (rotate == 0) return path;
        // ffmpeg keeps rotation metadata only when stream-copying.
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-i", encoded, "-c", "copy", "-metadata:s:v:0", $"rotate={rotate}", path }, ReadOnlyMemory<byte>.Empty, path);
        File.Delete(encoded);
        return path;
    }

    /// <summary>
    /// A noisy gray clip of hard cuts between six of ffmpeg's still or slow sources, each
    /// <paramref name="framesPerShot"/> frames at 10 fps, with a tone: six shots for the splitter.
    /// </summary>
    public static string MakeShots(string dir, int framesPerShot = 3, string name = "shots.mp4")
    {
        var path = Path.Combine(dir, name);
        var sources = new[] { "testsrc2=", "smptebars=", "color=c=white:", "rgbtestsrc=", "color=c=black:", "mandelbrot=" };
        var args = new List<string> { "-v", "error" };
        foreach (var s in sources) args.AddRange(new[] { "-f", "lavfi", "-i", $"{s}size=64x48:rate=10" });
        string secs = (sources.Length * framesPerShot / 10.0).ToString(CultureInfo.InvariantCulture);
        args.AddRange(new[] { "-f", "lavfi", "-i", $"sine=frequency=440:duration={secs}" });
        var trims = string.Concat(sources.Select((_, k) => $"[{k}]trim=end_frame={framesPerShot},setpts=PTS-STARTPTS[v{k}];"));
        var inputs = string.Concat(sources.Select((_, k) => $"[v{k}]"));
        args.AddRange(new[]
        {
            "-filter_complex", $"{trims}{inputs}concat=n={sources.Length}:v=1:a=0,format=gray,noise=alls=20:allf=t[v]",
            "-map", "[v]", "-map", $"{sources.Length}:a", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", path,
        });
        Ffmpeg.Run(Ffmpeg.FfmpegPath, args, ReadOnlyMemory<byte>.Empty, path);
        return path;
    }

    /// <summary>
    /// ffmpeg's framemd5 of every stream, decoded: per frame and audio packet its stream, times,
    /// duration, size and MD5. Two files with equal lists hold the same pictures, times and sound.
    /// </summary>
    public static IReadOnlyList<string> DecodedFrames(string path) =>
        System.Text.Encoding.UTF8.GetString(Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-i", path, "-map", "0", "-f", "framemd5", "-" },
                ReadOnlyMemory<byte>.Empty, path))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => !l.StartsWith('#')).ToList();

    /// <summary>
    /// The environment of an ffmpeg that plays a full disk for every file in a folder named "full" (failing as
    /// ffmpeg does there) and is the real ffmpeg otherwise.
    /// </summary>
    public static Dictionary<string, string> FullDiskFfmpeg()
    {
        var standIn = Path.Combine(TestPaths.NewTempDir(), "ffmpeg-full-disk");
        File.WriteAllText(standIn, "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in */full/*) echo \"$a: No space left on device\" >&2; exit 1;; esac; done\nexec ffmpeg \"$@\"\n");
        File.SetUnixFileMode(standIn, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new Dictionary<string, string> { ["REEL_FFMPEG"] = standIn };
    }

    /// <summary>Presentation times (seconds) of every frame of the first video stream, in order.</summary>
    public static IReadOnlyList<double> FrameTimes(string path)
    {
        var csv = System.Text.Encoding.UTF8.GetString(Ffmpeg.Run(Ffmpeg.FfprobePath,
            new[] { "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=time_base:frame=pts", "-of", "csv=p=0", path },
            ReadOnlyMemory<byte>.Empty, path));
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(',')[0]).Where(l => l.Length > 0).ToList();
        // The stream's time base comes last ("num/den"); every other line is a frame's pts in ticks.
        var tb = lines.Single(l => l.Contains('/'));
        Assert.True(Rational.TryParse(tb, out var num, out var den), tb);
        return lines.Where(l => !l.Contains('/'))
            .Select(l => long.Parse(l, CultureInfo.InvariantCulture) * (double)num / den).Order().ToList();
    }

    /// <summary>
    /// The times (seconds) of every frame of an AVI's first video stream. Its frames carry no pts: their
    /// times are their ticks, which ffprobe gives as best-effort timestamps.
    /// </summary>
    public static IReadOnlyList<double> AviFrameTimes(string path) =>
        System.Text.Encoding.UTF8.GetString(Ffmpeg.Run(Ffmpeg.FfprobePath, new[] { "-v", "error", "-select_streams", "v:0",
                "-show_entries", "frame=best_effort_timestamp_time", "-of", "csv=p=0", path }, ReadOnlyMemory<byte>.Empty, path))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => double.Parse(l.TrimEnd(','), CultureInfo.InvariantCulture)).ToList();

    /// <summary>How many frames of the first video stream decode, counted by ffprobe (independently of reel's own check).</summary>
    public static int CountFrames(string path) =>
        int.Parse(Probe(path, "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames").Single(), CultureInfo.InvariantCulture);

    /// <summary>codec_type:codec_name of every stream.</summary>
    public static IReadOnlyList<string> Streams(string path) =>
        Probe(path, "-show_entries", "stream=codec_type,codec_name").Select(l => string.Join(':', l.Split(',').Reverse())).ToList();

    /// <summary>
    /// ffprobe's CSV lines (no section names) for <paramref name="query"/> of <paramref name="path"/>, trimmed, empty ones left
    /// out, and without the empty field a stream's side data (MPEG-2's CPB properties) adds at the end.
    /// </summary>
    public static IReadOnlyList<string> Probe(string path, params string[] query) =>
        System.Text.Encoding.UTF8.GetString(Ffmpeg.Run(Ffmpeg.FfprobePath, ["-v", "error", .. query, "-of", "csv=p=0", path], ReadOnlyMemory<byte>.Empty, path))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => l.TrimEnd(',')).Where(l => l.Length > 0).ToList();
}
