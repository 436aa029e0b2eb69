using System.Globalization;
using System.Text.Json;

namespace Reel.Engine.Video;

/// <summary>What ffprobe read back from a written file.</summary>
public sealed record VideoContents(int Frames, int Width, int Height, double? DurationSeconds);

/// <summary>
/// Reads back every file Reel has ffmpeg write, before it is recorded or renamed into place:
/// ffmpeg's exit code is not proof (5.1 exits 0 after "Error writing trailer … No space left on
/// device", and its concat demuxer skips a listed file that is gone). The file is decoded from
/// end to end by ffprobe, and its frame count and size must be those sent, its duration at least
/// the frames' span, with no decoding error on the way.
/// </summary>
public static class VideoVerifier
{
    /// <summary>Decodes <paramref name="path"/> (first video stream) and says what it holds; an unreadable file is a <see cref="MediaException"/>.</summary>
    public static VideoContents Read(string path, CancellationToken cancel = default)
    {
        var (json, errors) = Ffmpeg.Capture(Ffmpeg.FfprobePath,
            [
                "-v", "error", "-count_frames", "-select_streams", "V:0",
                "-show_entries", "stream=nb_read_frames,width,height:format=duration", "-of", "json", .. ImageIO.Input(path),
            ],
            ReadOnlyMemory<byte>.Empty, path, cancel, $"reading back {path}");
        if (Ffmpeg.Reason(errors) is { } decodeError) throw new MediaException($"{path}: does not decode cleanly: {decodeError}");
        try
        {
            using var doc = JsonDocument.Parse(json);
            var streams = doc.RootElement.GetProperty("streams");
            if (streams.GetArrayLength() == 0) return new VideoContents(0, 0, 0, null);
            var s = streams[0];
            int frames = s.TryGetProperty("nb_read_frames", out var n) && int.TryParse(n.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : 0;
            double? duration = doc.RootElement.TryGetProperty("format", out var f) && f.TryGetProperty("duration", out var d)
                && double.TryParse(d.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var secs) ? secs : null;
            return new VideoContents(frames, s.GetProperty("width").GetInt32(), s.GetProperty("height").GetInt32(), duration);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new MediaException($"{path}: ffprobe could not describe it");
        }
    }

    /// <summary>
    /// Throws a <see cref="MediaException"/> naming <paramref name="what"/> unless <paramref name="path"/>
    /// holds what was sent; the message ends with the writer's own telling error line when it printed one.
    /// </summary>
    /// <param name="writerErrors">What the writing ffmpeg printed on stderr (see <see cref="Ffmpeg.Write"/>).</param>
    /// <returns>What the file holds.</returns>
    public static VideoContents Verify(string path, VideoExpectation expected, string what, string? writerErrors = null, CancellationToken cancel = default)
    {
        string? problem;
        VideoContents? got = null;
        try
        {
            got = Read(path, cancel);
            problem = got.Frames != expected.Frames ? $"it holds {got.Frames} of the {expected.Frames} frames sent"
                : expected.Width > 0 && (got.Width, got.Height) != (expected.Width, expected.Height) ? $"its frames are {got.Width}×{got.Height}, not {expected.Width}×{expected.Height}"
                : expected.MinDurationSeconds is { } min && got.DurationSeconds is { } secs && secs + 1e-3 < min
                    ? string.Create(CultureInfo.InvariantCulture, $"it lasts {secs:0.###} s, its frames span {min:0.###} s")
                : null;
        }
        catch (MediaException e)
        {
            problem = $"it cannot be read back ({e.Message.Replace(path + ": ", "", StringComparison.Ordinal)})";
        }
        if (problem is null) return got!;
        var cause = writerErrors is null ? null : Ffmpeg.Reason(writerErrors);
        throw new MediaException($"{what} was not written correctly: {problem}{(cause is null ? "" : $"; ffmpeg said: {cause}")}");
    }
}
