using System.Globalization;
using System.Text;
using Reel.Engine.Pipeline;
using Reel.Engine.Tensors;
using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>
/// `--from`/`--to`: a stretch of the film restored alone, its frames exact and its sound, subtitles, chapters and
/// timecode cut alike. Split from <see cref="RestoreStreamsTests"/> so the two run side by side.
/// </summary>
public class RangeTests
{
    [Fact]
    public void ARangeOfTheFilmIsRestoredAloneWithItsSoundCutAlike()
    {
        var dir = TestPaths.NewTempDir();
        // 3 s of lossless video at 25 fps with a tone and a start timecode.
        var clip = Media.MakeClip(dir, "clip.mkv", seconds: 3, rate: "25", codec: "ffv1");
        var input = Path.Combine(dir, "in.mkv");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-i", clip, "-map", "0", "-c", "copy", "-timecode", "01:00:00:05", input }, ReadOnlyMemory<byte>.Empty, input);
        const int frame = 64 * 48;
        var wanted = RestoreStreamsTests.GrayFrames(input).AsSpan(25 * frame, 25 * frame).ToArray();

        var output = Path.Combine(dir, "scene.mkv");
        string[] range = { "--from", "0:01", "--to", "2", "--no-denoise", "--no-colorize", "--no-stabilize", "--encoder", "ffv1", "--no-progress" };
        var r = ReelProcess.Run(new[] { "restore", input, output }.Concat(range).ToArray());
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("warning", r.Stderr, StringComparison.Ordinal);
        // Frames 25 to 49 exactly, each at its time less the second cut off.
        Assert.True(RestoreStreamsTests.GrayFrames(output).AsSpan().SequenceEqual(wanted), "the scene's frames are not the input's from 1 s to 2 s");
        RestoreStreamsTests.AssertSameTimes(Media.FrameTimes(input).Skip(25).Take(25).Select(t => t - 1.0).ToList(), Media.FrameTimes(output));
        // The sound from the same second: it starts with the first frame (a packet's length at most later), not a keyframe's distance before it.
        var audio = System.Text.Encoding.ASCII.GetString(Ffmpeg.Run(Ffmpeg.FfprobePath, new[] { "-v", "error", "-select_streams", "a",
            "-show_entries", "packet=pts_time", "-of", "csv=p=0", output }, ReadOnlyMemory<byte>.Empty, output))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(t => double.Parse(t.Trim(',', ' '), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.InRange(audio[0], 0, 0.03);
        Assert.InRange(audio[^1], 0.95, 1.0);
        Assert.Equal("01:00:01:05", VideoFile.Probe(output).Timecode);

        // Through a plan: the same frames, the sound cut alike at the join.
        var joined = RestoreStreamsTests.PlanRunJoin(input, dir, range);
        Assert.True(RestoreStreamsTests.GrayFrames(joined).AsSpan().SequenceEqual(wanted));
        Assert.Equal("01:00:01:05", VideoFile.Probe(joined).Timecode);

        r = ReelProcess.Run("restore", input, Path.Combine(dir, "late.mkv"), "--from", "4", "--no-denoise", "--no-colorize", "--no-progress");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--from 4 s is at or past the end of", r.Stderr, StringComparison.Ordinal);
        // Inside the last frame's time (20 frames at 25 fps: it starts at 0.76 s, the film ends at 0.8): no frame starts there,
        // which was "the video has no frames".
        var brief = Media.MakeClip(dir, "short.mp4", seconds: 0.8, rate: "25", audio: false);
        r = ReelProcess.Run("restore", brief, Path.Combine(dir, "last.mkv"), "--from", "0.78", "--no-denoise", "--no-colorize", "--no-progress");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no frame starts within the range asked for (--from/--to)", r.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// A video that starts a second after its audio (a capture's usual shape, here Matroska, whose DURATION tag is the
    /// stream's end, not its length): restored whole under --strict with no false loss, and cut by --from/--to to the
    /// frames in the range (ffmpeg's input -to counts from the first frame: it gave 10 frames for the 5 asked, and the
    /// join failed after the work).
    /// </summary>
    [Theory]
    [InlineData(null, null, 15)]
    [InlineData("0.5", "1.5", 5)]
    [InlineData("0.5", null, 15)]
    [InlineData(null, "1.5", 5)]
    [InlineData("1.2", "2", 8)]
    public void AVideoThatStartsAfterItsAudioIsCutByItsOwnTimes(string? from, string? to, int frames)
    {
        var dir = TestPaths.NewTempDir();
        var input = RestoreStreamsTests.LateVideo(dir, "aac");
        var output = Path.Combine(dir, "out.mkv");
        var args = new List<string>(ReelProcess.FilesOnlyRestore(input, output, "--strict"));
        if (from is not null) args.AddRange(new[] { "--from", from });
        if (to is not null) args.AddRange(new[] { "--to", to });
        var r = ReelProcess.Run(args.ToArray());
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("warning", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(frames, Media.CountFrames(output));
        // Each frame where the input has it, less the cut's start.
        double shift = from is null ? 0 : double.Parse(from, System.Globalization.CultureInfo.InvariantCulture);
        var expected = Media.FrameTimes(input).Select(t => t - shift).Where(t => t >= -1e-9).Take(frames).ToList();
        var times = Media.FrameTimes(output);
        for (int k = 0; k < frames; k++)
            Assert.True(Math.Abs(times[k] - expected[k]) <= 1.5e-3, $"frame {k} at {times[k]:F4} s, the input's at {expected[k]:F4} s");
        // The sound from the cut's start, before the first frame too (an AAC packet is 23 ms): ffmpeg's seek
        // in Matroska lands on the video's first keyframe, and the second of sound before it was lost.
        var firstSound = System.Text.Encoding.UTF8.GetString(Ffmpeg.Run(Ffmpeg.FfprobePath, new[] { "-v", "error", "-select_streams", "a:0",
            "-show_entries", "packet=pts_time", "-read_intervals", "%+#1", "-of", "csv=p=0", output }, ReadOnlyMemory<byte>.Empty, output)).Trim().TrimEnd(',');
        double soundStart = double.Parse(firstSound, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(soundStart <= 0.025, $"the sound starts at {soundStart:F3} s");
    }

    /// <summary>
    /// A range's PCM sound was copied packet by packet, the one the start fell in dropped: a MOV cut at 0.3 s began with
    /// 20 ms of silence. It is now cut at the range's own sample: the first one out is the source's at 0.3 s.
    /// </summary>
    [Theory]
    [InlineData("out.mov")]
    [InlineData("out.mkv")]
    public void ARangesPcmSoundStartsAtItsFirstSample(string name)
    {
        var dir = TestPaths.NewTempDir();
        var input = Path.Combine(dir, "in.mov");
        // The sound's sample at t is t/2 of full scale: its value says its time.
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=30000/1001:duration=1.001", "-f", "lavfi",
            "-i", "aevalsrc=exprs='t/2':s=48000:d=1.001", "-vf", "format=gray,format=yuv420p", "-c:v", "libx264", "-g", "15", "-c:a", "pcm_s16le", input },
            ReadOnlyMemory<byte>.Empty, input);
        var output = Path.Combine(dir, name);
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output, "--from", "0.3", "--to", "0.7"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        double start = double.Parse(Media.Probe(output, "-select_streams", "a:0", "-show_entries", "stream=start_time").Single(), CultureInfo.InvariantCulture);
        Assert.InRange(start, -0.001, 0.001);
        var first = Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-i", output, "-map", "0:a:0", "-frames:a", "1", "-f", "s16le", "-" }, ReadOnlyMemory<byte>.Empty, output);
        double at = BitConverter.ToInt16(first, 0) / 32768.0 * 2;
        Assert.InRange(at, 0.3 - 0.001, 0.3 + 0.001);
        Assert.Equal("pcm_s16le", Media.Probe(output, "-select_streams", "a:0", "-show_entries", "stream=codec_name").Single());
    }

    /// <summary>
    /// ffmpeg's seek in an MP4 mistimes its text subtitles (cut at 1.5 s, a cue of 2.0 s came at 1.0 s; into Matroska
    /// the track was not cut at all): a range of an MP4 leaves them out and says so, rather than showing them wrong.
    /// </summary>
    [Theory]
    [InlineData("out.mp4")]
    [InlineData("out.mkv")]
    public void ARangeOfAnMp4LeavesItsSubtitlesOutAndSaysSo(string name)
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, "in.mp4", seconds: 1, audio: false, subtitles: true);
        Assert.Contains("subtitle:mov_text", Media.Streams(input));
        var output = Path.Combine(dir, name);
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output, "--from", "0.3", "--to", "0.8"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("note: the subtitle stream is left out: ffmpeg's seek in an MP4 or MOV mistimes its subtitles", r.Stderr);
        Assert.DoesNotContain(Media.Streams(output), s => s.StartsWith("subtitle", StringComparison.Ordinal));
        // Cut from 0, nothing is sought: they are kept.
        var fromZero = Path.Combine(dir, "zero" + Path.GetExtension(name));
        r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, fromZero, "--from", "0", "--to", "0.5"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("left out", r.Stderr, StringComparison.Ordinal);
        Assert.Contains(Media.Streams(fromZero), s => s.StartsWith("subtitle", StringComparison.Ordinal));
    }

    /// <summary>
    /// A Matroska film's SubRip cues, converted to MP4's mov_text after a seek, came out uncut, moved by the first cue's time
    /// and each shown until the next (a user trial; plain ffmpeg does the same): a range into MP4 leaves them out and says so,
    /// into Matroska they are copied and cut.
    /// </summary>
    [Fact]
    public void ARangesSubtitlesAreLeftOutWhereTheyWouldBeConvertedAfterTheSeek()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, "in.mkv", seconds: 1, audio: false, subtitles: true);
        Assert.Contains("subtitle:subrip", Media.Streams(input));
        var mp4 = Path.Combine(dir, "out.mp4");
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, mp4, "--from", "0.3", "--to", "0.8"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("note: subtitle stream 0 (subrip) is left out of a range written as mov_text", r.Stderr);
        Assert.DoesNotContain(Media.Streams(mp4), s => s.StartsWith("subtitle", StringComparison.Ordinal));
        var mkv = Path.Combine(dir, "out.mkv");
        r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, mkv, "--from", "0.3", "--to", "0.8"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("left out", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("subtitle:subrip", Media.Streams(mkv));
        // Not sought (a range from 0): converted and kept.
        var fromZero = Path.Combine(dir, "zero.mp4");
        r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, fromZero, "--to", "0.5"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("subtitle:mov_text", Media.Streams(fromZero));
    }

    [Fact]
    public void ARangesChaptersEndAtItsEndAndATimecodeItCannotMoveIsLeftOut()
    {
        var dir = TestPaths.NewTempDir();
        var clip = Media.MakeClip(dir, "clip.mkv", seconds: 3, rate: "25", codec: "ffv1");
        var chapters = Path.Combine(dir, "chapters.txt");
        File.WriteAllText(chapters, ";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1500\ntitle=one\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=1500\nEND=2500\ntitle=two\n"
            + "[CHAPTER]\nTIMEBASE=1/1000\nSTART=2500\nEND=3000\ntitle=three\n");
        // Matroska keeps a timecode as a tag of the file, which the copied metadata would carry; this one is drop-frame.
        var input = Path.Combine(dir, "in.mkv");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-i", clip, "-i", chapters, "-map", "0", "-map_chapters", "1", "-c", "copy", "-timecode", "01:00:00;02", input },
            ReadOnlyMemory<byte>.Empty, input);
        Assert.Equal("01:00:00;02", VideoFile.Probe(input).Timecode);
        var output = Path.Combine(dir, "scene.mkv");
        var r = ReelProcess.Run("restore", input, output, "--from", "1", "--to", "2", "--no-denoise", "--no-colorize", "--no-stabilize", "--encoder", "ffv1", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        // Unmoved, it would name the scene's first frame wrongly.
        Assert.Null(VideoFile.Probe(output).Timecode);
        var kept = System.Text.Encoding.ASCII.GetString(Ffmpeg.Run(Ffmpeg.FfprobePath, new[] { "-v", "error", "-show_entries", "chapter=start_time,end_time:chapter_tags=title",
            "-of", "csv=p=0", output }, ReadOnlyMemory<byte>.Empty, output)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).ToArray();
        Assert.Equal(new[] { "0.000000,0.500000,one", "0.500000,1.000000,two" }, kept);
        // The chapters the range overlaps are all there: none is said to be lost.
        Assert.DoesNotContain("chapter", r.Stderr);

        // A range from a chapter's start to another's: those chapters alone, not the ones that end or begin at its ends as
        // chapters of no length (ffmpeg's own cut kept "one" as 0–0 s), into MP4 as into Matroska.
        foreach (var name in new[] { "part.mkv", "part.mp4" })
        {
            var scene = Path.Combine(dir, name);
            r = ReelProcess.Run("restore", input, scene, "--from", "1.5", "--to", "2.5", "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
            Assert.True(r.ExitCode == 0, r.Stderr);
            var inScene = System.Text.Encoding.ASCII.GetString(Ffmpeg.Run(Ffmpeg.FfprobePath, new[] { "-v", "error", "-show_entries", "chapter=start_time,end_time:chapter_tags=title",
                "-of", "csv=p=0", scene }, ReadOnlyMemory<byte>.Empty, scene)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).ToArray();
            Assert.Equal(new[] { "0.000000,1.000000,two" }, inScene);
            Assert.DoesNotContain("chapter", r.Stderr);
        }

        // A file whose clock starts at 10 s (a recording's): its chapters are at the file's times, a range counts from its
        // start, as ffmpeg's seek does. Cut by the file's times, every chapter fell outside the range and none was said lost.
        var late = Path.Combine(dir, "late.mkv");
        var lateChapters = Path.Combine(dir, "late.txt");
        File.WriteAllText(lateChapters, ";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=10000\nEND=11500\ntitle=one\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=11500\nEND=12500\ntitle=two\n");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-i", clip, "-i", lateChapters, "-map", "0", "-map_chapters", "1", "-c", "copy", "-output_ts_offset", "10", late },
            ReadOnlyMemory<byte>.Empty, late);
        Assert.Equal("10.000000", Media.Probe(late, "-show_entries", "format=start_time").Single());
        var lateScene = Path.Combine(dir, "late-part.mkv");
        r = ReelProcess.Run("restore", late, lateScene, "--from", "1.5", "--to", "2.5", "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(new[] { "0.000000,1.000000,two" }, Media.Probe(lateScene, "-show_entries", "chapter=start_time,end_time:chapter_tags=title"));
    }

    /// <summary>
    /// A range's progress total is its frames from the first line: its length × rate, rounded, gave 32 for the 33 frames of
    /// the first 1.3 s at 25 fps (a user trial saw 54 for 55), and the bar read 100% with an ETA of 0 before the last frame.
    /// </summary>
    [Fact]
    public void ARangesProgressTotalIsItsFrameCount()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, "in.mp4", seconds: 2, rate: "25", audio: false);
        var output = Path.Combine(dir, "out.mkv");
        var r = ReelProcess.Run("restore", input, output, "--to", "1.3", "--no-denoise", "--no-colorize", "--no-stabilize", "--progress", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(33, Media.CountFrames(output));
        var lines = r.Stderr.Split('\n').Where(l => l.StartsWith("{\"stage\":\"process\"", StringComparison.Ordinal))
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.Equal(33, l.GetProperty("total").GetInt64()));

        // To the video's end at an NTSC rate: ffprobe gives 100 frames at 30000/1001 as 3.336667 s (100.00001 frames), and
        // the count from 1 s said 71 for 70.
        var ntsc = Path.Combine(dir, "ntsc.mp4");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=30000/1001", "-frames:v", "100", "-c:v", "libx264", ntsc },
            ReadOnlyMemory<byte>.Empty, ntsc);
        var rest = Path.Combine(dir, "rest.mkv");
        r = ReelProcess.Run("restore", ntsc, rest, "--from", "1", "--no-denoise", "--no-colorize", "--no-stabilize", "--progress", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(70, Media.CountFrames(rest));
        Assert.All(r.Stderr.Split('\n').Where(l => l.StartsWith("{\"stage\":\"process\"", StringComparison.Ordinal)),
            l => Assert.Equal(70, System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("total").GetInt64()));
    }

    [Fact]
    public void AFoldersRangeIsItsFramesInThoseTimes()
    {
        var dir = TestPaths.NewTempDir();
        var frames = Path.Combine(dir, "frames");
        Directory.CreateDirectory(frames);
        for (int k = 1; k <= 10; k++) ImageIO.Write(Path.Combine(frames, $"f{k}.png"), new Tensor(new Shape(1, 1, 8, 8)));
        // At 10 fps frame k (from 1) is shown at (k − 1) / 10 s: 0.3 s up to 0.6 s holds f4, f5, f6.
        var output = Path.Combine(dir, "out");
        var r = ReelProcess.Run("restore", frames, output, "--fps", "10", "--from", "0.3", "--to", "0.6", "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(new[] { "f4.png", "f5.png", "f6.png" }, Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        r = ReelProcess.Run("restore", frames, Path.Combine(dir, "none"), "--fps", "10", "--from", "1.5", "--no-denoise", "--no-colorize", "--no-progress");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no frame from 1.5 s to the end (its 10 frames at 10/1 fps run 1 s)", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void ARangeOfAnMpegTsIsRefusedWithHowToCopyItIntoMatroska()
    {
        // An MPEG-TS has no index: ffmpeg's seek in it lands on the next keyframe (here none: "the video has no frames").
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, "in.ts", seconds: 2);
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, Path.Combine(dir, "out.mp4"), "--from", "0.5"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"--from/--to cannot cut {input} to the frame: MPEG-TS has no index", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("(ffmpeg -i in.ts -map 0 -c copy in.mkv)", r.Stderr, StringComparison.Ordinal);
        // Copied into Matroska as it says, the same range restores: the 15 of its 20 frames from 0.5 s on.
        var mkv = Path.Combine(dir, "in.mkv");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-i", input, "-map", "0", "-c", "copy", mkv }, ReadOnlyMemory<byte>.Empty, mkv);
        var output = Path.Combine(dir, "out.mkv");
        r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(mkv, output, "--from", "0.5"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(15, Media.CountFrames(output));
    }

    /// <summary>
    /// The same cut with sound converted on the way (FLAC into MP4 becomes ALAC): the second before the cut was encoded
    /// too and the whole shifted to start at 0, so the range's end fell off: a second's range kept half a second of sound.
    /// </summary>
    [Fact]
    public void AConvertedSoundKeepsTheWholeRangeOfAVideoThatStartsAfterIt()
    {
        var dir = TestPaths.NewTempDir();
        var input = RestoreStreamsTests.LateVideo(dir, "flac");
        var output = Path.Combine(dir, "out.mp4");
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output, "--from", "0.5", "--to", "1.5"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("converted to alac", r.Stderr, StringComparison.Ordinal);
        var samples = Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-i", output, "-map", "0:a", "-f", "s16le", "-ac", "1", "-ar", "44100", "-" },
            ReadOnlyMemory<byte>.Empty, output).Length / 2;
        Assert.InRange(samples / 44100.0, 0.97, 1.03);
    }
}
