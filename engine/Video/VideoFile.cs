using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Reel.Engine.Video;

/// <summary>What ffprobe says about a video's first video stream.</summary>
public sealed record VideoInfo(int Width, int Height, string FrameRate, int? FrameCount, bool HasAudio);

/// <summary>
/// Videos through ffmpeg child processes: decode to packed rgb24 frames on stdout, encode from
/// rgb24 frames on stdin (H.264, CRF 17 by default), audio copied from a source file. Encoded
/// output goes to a temporary file beside the target and is renamed only when ffmpeg succeeds.
/// </summary>
public static class VideoFile
{
    private static readonly string[] VideoExtensions = { ".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".ts" };

    public static bool IsVideoPath(string path) => VideoExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    public static VideoInfo Probe(string path)
    {
        if (!File.Exists(path)) throw new MediaException($"input not found: {path}");
        var json = Ffmpeg.Run(Ffmpeg.FfprobePath,
            new[] { "-v", "error", "-show_entries", "stream=codec_type,width,height,avg_frame_rate,r_frame_rate,nb_frames", "-of", "json", path },
            ReadOnlyMemory<byte>.Empty, path);
        try
        {
            using var doc = JsonDocument.Parse(json);
            var streams = doc.RootElement.GetProperty("streams").EnumerateArray().ToList();
            var video = streams.FirstOrDefault(s => s.TryGetProperty("codec_type", out var t) && t.GetString() == "video");
            if (video.ValueKind == JsonValueKind.Undefined) throw new MediaException($"{path}: no video stream (not a video?)");
            int w = video.GetProperty("width").GetInt32(), h = video.GetProperty("height").GetInt32();
            string rate = video.TryGetProperty("avg_frame_rate", out var r) && r.GetString() is { } a && a != "0/0" ? a
                : video.GetProperty("r_frame_rate").GetString()!;
            int? count = video.TryGetProperty("nb_frames", out var n) && int.TryParse(n.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : null;
            bool audio = streams.Any(s => s.TryGetProperty("codec_type", out var t) && t.GetString() == "audio");
            if (w <= 0 || h <= 0) throw new MediaException($"{path}: video has no size");
            return new VideoInfo(w, h, rate, count, audio);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new MediaException($"{path}: ffprobe could not describe it (not a video?)");
        }
    }

    /// <summary>Decodes every frame as packed rgb24 (H, W, 3) or gray8, streaming; a truncated last frame is an error.</summary>
    public static IEnumerable<byte[]> ReadFrames(string path, VideoInfo info, PixelFormat format = PixelFormat.Rgb24)
    {
        var psi = new ProcessStartInfo(Ffmpeg.FfmpegPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-v", "error", "-nostdin", "-i", path, "-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", format == PixelFormat.Gray8 ? "gray" : "rgb24", "-" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new MediaException($"could not start ffmpeg for {path}");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.BaseStream;
        int frameBytes = info.Width * info.Height * ImageIO.Channels(format);
        int frames = 0;
        while (true)
        {
            var buffer = new byte[frameBytes];
            int read = stdout.ReadAtLeast(buffer, frameBytes, throwOnEndOfStream: false);
            if (read == 0) break;
            if (read < frameBytes) throw new MediaException($"{path}: frame {frames} is truncated ({read} of {frameBytes} bytes)");
            frames++;
            yield return buffer;
        }
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            var lines = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            throw new MediaException($"{path}: ffmpeg failed to decode: {(lines.Length > 0 ? lines[^1] : $"exit code {p.ExitCode}")}");
        }
        if (frames == 0) throw new MediaException($"{path}: the video has no frames");
    }
}
