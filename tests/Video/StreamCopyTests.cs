using System.Text;
using Reel.Engine;
using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Video;

/// <summary>
/// <see cref="StreamCopy"/>'s plan against this machine's ffmpeg, for every container reel writes:
/// each source's audio and text subtitle either arrive as streams that decode, or (subtitles) are
/// left out with a note; never a failed join at the end of a restore, a file that does not read
/// back, or a stream turned into opaque data.
/// </summary>
public class StreamCopyTests
{
    private static readonly string[] Containers = { ".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v", ".ts", ".nut" };

    [Theory]
    [InlineData("aac")]
    [InlineData("flac")]
    [InlineData("libopus")]
    [InlineData("pcm_s16le")]
    [InlineData("libmp3lame")]
    [InlineData("eac3")]
    [InlineData("mp2")]
    public void EveryContainerGetsTheAudioAndSubtitlesItCanHold(string audio)
    {
        var dir = TestPaths.NewTempDir();
        var srt = Path.Combine(dir, "s.srt");
        File.WriteAllText(srt, "1\n00:00:00,000 --> 00:00:00,400\nhello\n");
        var source = Path.Combine(dir, "source.mkv");
        Run(Ffmpeg.FfmpegPath, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-f", "lavfi", "-i", "sine=duration=0.5", "-i", srt,
            "-t", "0.5", "-map", "0:v", "-map", "1:a", "-map", "2:s", "-c:v", "ffv1", "-c:a", audio, "-c:s", "subrip", source);
        var info = VideoFile.Probe(source);
        var failures = new List<string>();
        foreach (var ext in Containers)
        {
            var output = Path.Combine(dir, "out" + ext);
            var (copy, notes) = StreamCopy.Plan(info, 0, output);
            // ffmpeg's NUT muxer keeps no cue's end (each came out ending as it starts): said.
            if (ext == ".nut" && !notes.Any(n => n.Contains("without its cues' ends", StringComparison.Ordinal))) failures.Add(".nut: no note that its cues lose their ends");
            var args = new List<string> { "-v", "error", "-i", source, "-map", "0:v:0" };
            args.AddRange(copy);
            args.AddRange(new EncodeSettings().For(output).Arguments(64, 48));
            args.Add(output);
            try
            {
                Run(Ffmpeg.FfmpegPath, args.ToArray());
                // By index, once each: ffprobe lists an MPEG-TS's streams again under its program.
                var streams = Run(Ffmpeg.FfprobePath, "-v", "error", "-show_entries", "stream=index,codec_type", "-of", "csv=p=0", output)
                    .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().Select(l => l.Split(',')[1]).ToList();
                int subtitles = notes.Any(n => n.StartsWith("subtitle", StringComparison.Ordinal)) ? 0 : 1;
                var expected = new[] { "video", "audio" }.Concat(Enumerable.Repeat("subtitle", subtitles)).Order();
                if (!streams.Order().SequenceEqual(expected))
                    failures.Add($"{ext}: streams {string.Join(", ", streams)}, expected {string.Join(", ", expected)}");
                // The whole file reads back without an error, its video and audio decoded (subtitles have no encoder for the null output: copied).
                var errors = Run(Ffmpeg.FfmpegPath, "-v", "error", "-i", output, "-map", "0", "-c:s", "copy", "-f", "null", "-");
                if (errors.Trim().Length > 0) failures.Add($"{ext}: reading back: {errors.Trim()}");
            }
            catch (MediaException e)
            {
                failures.Add($"{ext}: {e.Message}");
            }
        }
        Assert.True(failures.Count == 0, $"{audio} audio and SubRip subtitles:\n" + string.Join('\n', failures));
    }

    /// <summary>A broadcast's or a DVD's MP2 sound was converted to AAC for MOV, which holds it bit for bit: a needless lossy generation.</summary>
    [Fact]
    public void Mp2SoundIsCopiedIntoMovAsItIs()
    {
        var dir = TestPaths.NewTempDir();
        var source = Path.Combine(dir, "source.mkv");
        Run(Ffmpeg.FfmpegPath, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-f", "lavfi", "-i", "sine=duration=0.5",
            "-t", "0.5", "-c:v", "ffv1", "-c:a", "mp2", source);
        var output = Path.Combine(dir, "out.mov");
        var (copy, notes) = StreamCopy.Plan(VideoFile.Probe(source), 0, output);
        Assert.Empty(notes);
        var args = new List<string> { "-v", "error", "-i", source, "-map", "0:v:0" };
        args.AddRange(copy);
        args.AddRange(new EncodeSettings().For(output).Arguments(64, 48));
        args.Add(output);
        Run(Ffmpeg.FfmpegPath, args.ToArray());
        string Md5(string path) => Run(Ffmpeg.FfmpegPath, "-v", "error", "-i", path, "-map", "0:a", "-f", "md5", "-");
        Assert.Equal(Md5(source), Md5(output));
    }

    /// <summary>stdout, or stderr where stdout is empty (ffmpeg writing to the null muxer reports on stderr).</summary>
    private static string Run(string exe, params string[] args)
    {
        var (stdout, stderr) = Ffmpeg.Capture(exe, args, ReadOnlyMemory<byte>.Empty, args[^1], CancellationToken.None);
        return stdout.Length > 0 ? Encoding.UTF8.GetString(stdout) : stderr;
    }
}
