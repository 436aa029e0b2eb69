using System.Globalization;
using System.Text;
using Reel.Engine.Pipeline;
using Reel.Engine.Tensors;
using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>
/// What `reel restore` keeps of its input besides the pictures: every frame's timestamp (variable
/// frame rates stay variable), audio, subtitles, upright orientation; and frame folders in and out.
/// The networks are switched off or tiny here: these tests are about the video plumbing.
/// </summary>
public class RestoreStreamsTests
{
    private static string Denoiser => TestPaths.SharedData("weights/kair_dncnn_25.pth");

    /// <summary>Every frame of a video's first video stream as decoded (through <paramref name="filter"/>, if given), gray, one byte a pixel.</summary>
    internal static byte[] GrayFrames(string path, string? filter = null) => Ffmpeg.Run(Ffmpeg.FfmpegPath,
        new[] { "-v", "error", "-i", path, "-map", "0:v:0" }.Concat(filter is null ? Array.Empty<string>() : new[] { "-vf", filter })
            .Concat(new[] { "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "-" }).ToList(),
        ReadOnlyMemory<byte>.Empty, path);

    /// <summary>`reel restore plan` of <paramref name="input"/> with <paramref name="options"/> in DIR/work, one worker on every shard, and the join into DIR/joined.mkv, each exiting 0; the joined file.</summary>
    internal static string PlanRunJoin(string input, string dir, params string[] options)
    {
        var work = Path.Combine(dir, "work");
        var joined = Path.Combine(dir, "joined.mkv");
        foreach (var step in new[]
        {
            new[] { "restore", "plan", input, work }.Concat(options).ToArray(),
            new[] { "restore", "run", work, "--no-progress" },
            new[] { "restore", "join", work, joined, "--no-progress" },
        })
        {
            var r = ReelProcess.Run(step);
            Assert.True(r.ExitCode == 0, r.Stderr);
        }
        return joined;
    }

    internal static void AssertSameTimes(IReadOnlyList<double> expected, IReadOnlyList<double> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) < 2e-6, $"frame {i}: {actual[i]:F6} s, input had {expected[i]:F6} s");
    }

    [Theory]
    [InlineData("in.mp4", "out.mp4", "subtitle:mov_text")]
    [InlineData("in.mkv", "out.mkv", "subtitle:subrip")]
    [InlineData("in.mkv", "out.mp4", "subtitle:mov_text")]
    public void VariableFrameRateAudioAndSubtitlesSurviveAcrossPieces(string inName, string outName, string subtitle)
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, inName, seconds: 0.7, rate: "30000/1001", vfr: true, subtitles: true);
        var output = Path.Combine(dir, outName);
        // Pieces of 5 frames, so the timestamps also cross the joins between separately encoded pieces.
        var r = ReelProcess.Run("restore", input, output, "--denoiser", Denoiser, "--no-colorize", "--no-stabilize",
            "--max-shot-frames", "5", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        // Gaps, several pieces, audio and subtitles: nothing here is a loss to warn about.
        Assert.DoesNotContain("warning:", r.Stderr);
        var times = Media.FrameTimes(input);
        Assert.Contains(times.Zip(times.Skip(1), (a, b) => b - a), gap => gap > 0.09);
        AssertSameTimes(times, Media.FrameTimes(output));
        var streams = Media.Streams(output);
        Assert.Equal(new[] { "video:h264", "audio:aac", subtitle }, streams);
        Assert.Empty(Directory.GetFileSystemEntries(dir).Where(p => Path.GetFileName(p).StartsWith('.')));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnAviHeaderSaysTheFilmsRateAndEveryFrameKeepsItsTime(bool vfr)
    {
        // AVI stores a rate and a frame for each of its ticks (an empty one where a variable rate has a
        // gap), no timestamps. ffmpeg's own choice had doubled the rate: 20 fps and 30 frames in the
        // header of this 10 fps, 15-frame film; its shift for the AAC's priming put every frame after
        // the first a tick late, and x264's B-frames all of them two ticks late.
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, seconds: 1.5, vfr: vfr);
        var output = Path.Combine(dir, "out.avi");
        var r = ReelProcess.Run("restore", input, output, "--no-denoise", "--no-colorize", "--no-stabilize", "--max-shot-frames", "5", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var header = System.Text.Encoding.UTF8.GetString(Ffmpeg.Run(Ffmpeg.FfprobePath, new[] { "-v", "error", "-select_streams", "v:0",
            "-show_entries", "stream=avg_frame_rate,nb_frames", "-of", "csv=p=0", output }, ReadOnlyMemory<byte>.Empty, output)).Trim();
        // A variable rate's header counts its empty frames too.
        Assert.Equal(vfr ? "10/1" : "10/1,15", vfr ? header.Split(',')[0] : header);
        Assert.Equal(15, Media.CountFrames(output));
        AssertSameTimes(Media.FrameTimes(input), Media.AviFrameTimes(output));
    }

    [Theory]
    [InlineData("24000/1001", 12)]
    [InlineData("60000/1001", 30)]
    public void AnAviOfAMatroskaNtscFilmHasItsRate(string rate, int frames)
    {
        // Matroska times frames in milliseconds, which lie on no NTSC rate's grid: the AVI said 1000 fps and
        // held 524 frames, 512 of them empty, for a 12-frame film at 23.976.
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, "in.mkv", seconds: frames * 1001.0 / (rate == "24000/1001" ? 24000 : 60000), rate: rate);
        var output = Path.Combine(dir, "out.avi");
        var r = ReelProcess.Run("restore", input, output, "--no-denoise", "--no-colorize", "--no-stabilize", "--max-shot-frames", "5", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var header = System.Text.Encoding.UTF8.GetString(Ffmpeg.Run(Ffmpeg.FfprobePath, new[] { "-v", "error", "-select_streams", "v:0",
            "-show_entries", "stream=avg_frame_rate,nb_frames", "-of", "csv=p=0", output }, ReadOnlyMemory<byte>.Empty, output)).Trim();
        Assert.Equal(rate, header.Split(',')[0]);
        Assert.Equal(frames, Media.CountFrames(output));
        var times = Media.FrameTimes(input);
        var avi = Media.AviFrameTimes(output);
        Assert.Equal(times.Count, avi.Count);
        // From the second frame on, each at its time within the millisecond Matroska rounded it to. Matroska starts the
        // video 23 ms in, after the AAC's priming, off the AVI's grid: the first frame is shown from 0, a tick or two longer.
        for (int i = 1; i < times.Count; i++)
            Assert.True(Math.Abs(times[i] - times[1] - (avi[i] - avi[1])) <= 1e-3, $"frame {i}: {avi[i] - avi[1]:F6} s after frame 1, input had {times[i] - times[1]:F6} s");
    }

    [Fact]
    public void StabilizeKeepsTheLastFrameOfAClipWhoseTimeBaseIsItsFrameRate()
    {
        // Two frames at 10 fps in a time base of 1/10: the last frame's length is known only from the
        // rate; without it the encoder kept one frame of two ("holds 1 of the 2 frames sent").
        var dir = TestPaths.NewTempDir();
        var input = Path.Combine(dir, "in.mp4");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-frames:v", "2", "-c:v", "libx264",
            "-pix_fmt", "yuv420p", "-video_track_timescale", "10", input }, ReadOnlyMemory<byte>.Empty, input);
        // The prior (frames held for training) and the streaming path (--temporal none).
        foreach (var (name, how) in new[] { ("prior.mp4", new[] { "--epochs", "1", "--no-irt", "--width", "4" }), ("none.mp4", new[] { "--temporal", "none" }) })
        {
            var output = Path.Combine(dir, name);
            var r = ReelProcess.Run(new[] { "stabilize", "--input", input, "--processed", input, "--output", output, "--no-progress" }.Concat(how).ToArray());
            Assert.True(r.ExitCode == 0, r.Stderr);
            AssertSameTimes(Media.FrameTimes(input), Media.FrameTimes(output));
        }
    }

    [Theory]
    [InlineData(0, "16:15")]
    [InlineData(90, "15:16")]
    public void AnamorphicVideoKeepsItsPixelShape(int rotate, string upright)
    {
        // PAL DVD's 4:3 pixels (16:15), stored sideways or not: the output, its review copy and a
        // stabilized copy show at the source's aspect ratio, not squeezed to square pixels.
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, size: "64x48", sar: "16/15", rotate: rotate, audio: false);
        Assert.Equal(upright, VideoFile.Probe(input).SampleAspect);
        var output = Path.Combine(dir, "out.mp4");
        var review = Path.Combine(dir, "review.mp4");
        var r = ReelProcess.Run("restore", input, output, "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress", "--side-by-side", review);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var stabilized = Path.Combine(dir, "stabilized.mp4");
        r = ReelProcess.Run("stabilize", "--input", input, "--processed", input, "--output", stabilized, "--temporal", "none", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (var written in new[] { output, review, stabilized })
        {
            var info = VideoFile.Probe(written);
            Assert.Equal((upright, 0), (info.SampleAspect, info.Rotation));
        }
    }

    [Fact]
    public void AnamorphicFramesKeepTheirShapeThroughAFolder()
    {
        // A film restored to frames for grading elsewhere, and those frames made a video again: each PNG
        // carries the 16:15 pixels in its pHYs, and what is made from the folder shows at 4:3 too.
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, size: "64x48", sar: "16/15", audio: false);
        var frames = Path.Combine(dir, "frames");
        var r = ReelProcess.Run("restore", input, frames, "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var written = Directory.GetFiles(frames, "*.png");
        Assert.NotEmpty(written);
        Assert.All(written, f => Assert.Equal((64, 48, "16:15"), ImageIO.Probe(f)));
        var video = Path.Combine(dir, "again.mp4");
        r = ReelProcess.Run("restore", frames, video, "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("16:15", VideoFile.Probe(video).SampleAspect);
        var stabilized = Path.Combine(dir, "stabilized");
        r = ReelProcess.Run("stabilize", "--input", frames, "--processed", frames, "--output", stabilized, "--temporal", "none", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.All(Directory.GetFiles(stabilized, "*.png"), f => Assert.Equal("16:15", ImageIO.Probe(f).SampleAspect));
    }

    [Theory]
    [InlineData(true, null, "bwdif=mode=send_frame:deint=interlaced", "the frames flagged so are deinterlaced (bwdif)")]
    [InlineData(true, "off", null, "its frames are restored as they are, combing included")]
    [InlineData(true, "all", "bwdif=mode=send_frame:deint=all", "every frame of")]
    [InlineData(false, null, null, null)]
    [InlineData(false, "all", "bwdif=mode=send_frame:deint=all", "every frame of")]
    public void AnInterlacedInputIsDeinterlacedUnlessToldOtherwise(bool interlaced, string? option, string? filter, string? note)
    {
        var dir = TestPaths.NewTempDir();
        var input = Path.Combine(dir, "in.mp4");
        // Moving, top field first, flagged interlaced frame by frame as broadcast H.264 is.
        var encode = new List<string> { "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25", "-frames:v", "6", "-vf", "format=gray,noise=alls=12:allf=t" };
        if (interlaced) encode.AddRange(new[] { "-flags", "+ilme+ildct", "-x264-params", "tff=1" });
        encode.AddRange(new[] { "-c:v", "libx264", "-pix_fmt", "yuv420p", input });
        Ffmpeg.Run(Ffmpeg.FfmpegPath, encode, ReadOnlyMemory<byte>.Empty, input);
        Assert.Equal(interlaced, VideoFile.Probe(input).Interlaced);

        // Lossless out, so the restored frames are the decoded ones exactly.
        var output = Path.Combine(dir, "out.mkv");
        var args = new List<string> { "restore", input, output, "--no-denoise", "--no-colorize", "--no-stabilize", "--encoder", "ffv1", "--no-progress" };
        if (option is not null) args.AddRange(new[] { "--deinterlace", option });
        var r = ReelProcess.Run(args.ToArray());
        Assert.True(r.ExitCode == 0, r.Stderr);
        if (note is null) Assert.DoesNotContain("interlaced", r.Stderr, StringComparison.Ordinal);
        else Assert.Contains(note, r.Stderr, StringComparison.Ordinal);

        var restored = GrayFrames(output);
        Assert.Equal(6 * 64 * 48, restored.Length);
        Assert.True(GrayFrames(input, filter).AsSpan().SequenceEqual(restored), $"the output is not the input decoded through {filter ?? "no filter"}");
        // The deinterlacer changes pixels only where there is something to do: not a frame of a progressive video without 'all'.
        if (filter is not null) Assert.False(GrayFrames(input).AsSpan().SequenceEqual(restored), "deinterlacing changed nothing");
        AssertSameTimes(Media.FrameTimes(input), Media.FrameTimes(output));
    }

    /// <summary>
    /// Real footage (bike-packing, 160 wide) flagged interlaced frame by frame, as a PAL film transfer often is:
    /// progressive frames (25 a second, each a whole picture), truly interlaced ones (two fields of 50p), and
    /// 24p film telecined to 30. auto looks at the fields (idet) before it trusts the flags.
    /// </summary>
    [Theory]
    [InlineData("progressive", null, "is flagged interlaced but its frames are whole (", null)]
    [InlineData("interlaced", "bwdif=mode=send_frame:deint=interlaced", "the frames flagged so are deinterlaced (bwdif)", "its fields repeat")]
    [InlineData("telecined", "bwdif=mode=send_frame:deint=interlaced", "--deinterlace ivtc gives the film's own frames back", null)]
    public void AutoDeinterlacesWhatIdetFindsInterlacedNotWhatTheFlagsSay(string kind, string? filter, string note, string? absent)
    {
        var dir = TestPaths.NewTempDir();
        var input = Path.Combine(dir, $"{kind}.mp4");
        var (rate, fields) = kind switch
        {
            "progressive" => ("25", ""),
            "interlaced" => ("50", ",tinterlace=interleave_top"),
            _ => ("24000/1001", ",telecine=first_field=top:pattern=23"),
        };
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[]
        {
            "-v", "error", "-framerate", rate, "-i", Path.Combine(TestPaths.SharedData("video/bike-packing-input"), "%05d.jpg"),
            "-vf", $"scale=160:-2,format=gray{fields}", "-flags", "+ilme+ildct", "-x264-params", "tff=1", "-c:v", "libx264", "-pix_fmt", "yuv420p", input,
        }, ReadOnlyMemory<byte>.Empty, input);
        Assert.True(VideoFile.Probe(input).Interlaced, $"{input} is not flagged interlaced");

        var output = Path.Combine(dir, "out.mkv");
        var r = ReelProcess.Run("restore", input, output, "--no-denoise", "--no-colorize", "--no-stabilize", "--encoder", "ffv1", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains(note, r.Stderr, StringComparison.Ordinal);
        if (absent is not null) Assert.DoesNotContain(absent, r.Stderr, StringComparison.Ordinal);
        // Lossless out: the frames are the input's decoded through the filter chosen, or through none.
        Assert.True(GrayFrames(input, filter).AsSpan().SequenceEqual(GrayFrames(output)), $"the output is not the input decoded through {filter ?? "no filter"}");
    }

    /// <summary>--deinterlace ivtc on video with no pulldown dropped one real frame in five with only "the pulldown is removed".</summary>
    [Fact]
    public void IvtcOfVideoWithNoPulldownSaysItDropsRealFrames()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, rate: "30000/1001", seconds: 1.2, audio: false);
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, Path.Combine(dir, "out.mkv"), "--deinterlace", "ivtc"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("; but its fields do not repeat as pulldown's do (", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("if it is not telecined film, a real frame of every 5 is dropped (--deinterlace auto keeps them)", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void TelecinedFilmComesBackAsItsOwnFrames()
    {
        var dir = TestPaths.NewTempDir();
        // 20 frames of moving film at 24000/1001, spread over 25 by 3:2 pulldown, kept lossless (FFV1).
        var film = Path.Combine(dir, "film.mkv");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=24000/1001", "-frames:v", "20",
            "-vf", "format=gray", "-c:v", "ffv1", film }, ReadOnlyMemory<byte>.Empty, film);
        var telecined = Path.Combine(dir, "telecined.mkv");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-i", film, "-vf", "telecine=first_field=top:pattern=23", "-c:v", "ffv1", "-timecode", "00:59:59;25", telecined },
            ReadOnlyMemory<byte>.Empty, telecined);
        Assert.Equal(25, Media.CountFrames(telecined));
        Assert.Equal("00:59:59;25", VideoFile.Probe(telecined).Timecode);

        var output = Path.Combine(dir, "out.mkv");
        var r = ReelProcess.Run("restore", telecined, output, "--deinterlace", "ivtc", "--no-denoise", "--no-colorize", "--no-stabilize", "--encoder", "ffv1", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("the pulldown is removed (fieldmatch, decimate): 4 frames of every 5 come out, at 24000/1001 fps", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("do not repeat as pulldown's do", r.Stderr, StringComparison.Ordinal);
        // Not a loss: the frames the pulldown added are the ones missing.
        Assert.DoesNotContain("could be decoded", r.Stderr, StringComparison.Ordinal);

        byte[] original = GrayFrames(film), restored = GrayFrames(output);
        Assert.Equal(original.Length, restored.Length);
        const int frame = 64 * 48;
        for (int k = 0; k < 20; k++)
        {
            // The film's frame rebuilt from its two fields: a level off in a few pixels where bwdif touched what fieldmatch left combed.
            double mean = Enumerable.Range(k * frame, frame).Average(i => Math.Abs(original[i] - restored[i]));
            Assert.True(mean < 0.5, $"frame {k} differs from the film's by {mean:F2} levels on average");
        }
        // At the film's own times, to Matroska's millisecond.
        var (filmTimes, times) = (Media.FrameTimes(film), Media.FrameTimes(output));
        Assert.Equal(filmTimes.Count, times.Count);
        for (int k = 0; k < times.Count; k++) Assert.True(Math.Abs(filmTimes[k] - times[k]) <= 1.5e-3, $"frame {k} at {times[k]:F4} s, the film's at {filmTimes[k]:F4} s");
        // The start timecode's frame counted at 24 (drop-frame counting has no 24-frame form; ffmpeg silently left it out).
        Assert.Equal("00:59:59:20", VideoFile.Probe(output).Timecode);

        // The same through a plan: the join copies the streams as the workers decoded the input.
        var joined = PlanRunJoin(telecined, dir, "--deinterlace", "ivtc", "--no-denoise", "--no-colorize", "--no-stabilize", "--encoder", "ffv1", "--no-progress");
        Assert.True(GrayFrames(joined).AsSpan().SequenceEqual(restored));
        Assert.Equal("00:59:59:20", VideoFile.Probe(joined).Timecode);

        // Scored against its input read the same way: the 20 film frames pair with the 20 restored ones.
        r = ReelProcess.Run("eval", "temporal", "--input", telecined, "--output", output, "--deinterlace", "ivtc", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("\"frames\":20", r.Stdout, StringComparison.Ordinal);
    }

    /// <summary>late.mkv: 2.5 s of a tone in <paramref name="audioCodec"/>, and 1.5 s of video at 10 fps from its first second on.</summary>
    internal static string LateVideo(string dir, string audioCodec)
    {
        var input = Path.Combine(dir, "late.mkv");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[]
        {
            "-v", "error", "-f", "lavfi", "-i", "sine=duration=2.5", "-itsoffset", "1", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=10:duration=1.5",
            "-map", "1", "-map", "0", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", audioCodec, input,
        }, ReadOnlyMemory<byte>.Empty, input);
        return input;
    }

    /// <summary>
    /// An MPEG-TS or PS (a broadcast recording, AVCHD, a DVD's VOB) whose sound starts before or after its picture keeps
    /// the gap: ffmpeg times such a file from the first stream it reads, so the video decoded alone and the sound copied
    /// alone both started at 0, and the sound came out half a second late or early, without a word.
    /// </summary>
    [Theory]
    [InlineData("film.ts", 0.5, 0.0)]
    [InlineData("film.ts", 0.0, 0.3)]
    [InlineData("film.mpg", 0.5, 0.0)]
    public void AnMpegStreamKeepsItsSoundInSync(string name, double videoDelay, double audioDelay)
    {
        var dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, name), ts = Path.Combine(dir, "made.ts");
        bool ps = name.EndsWith(".mpg", StringComparison.Ordinal);
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[]
        {
            "-v", "error", "-itsoffset", Seconds(videoDelay), "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25:duration=0.24",
            "-itsoffset", Seconds(audioDelay), "-f", "lavfi", "-i", "sine=duration=1.2", "-map", "0:v", "-map", "1:a",
            "-c:v", ps ? "mpeg2video" : "libx264", "-pix_fmt", "yuv420p", "-c:a", ps ? "mp2" : "aac", ts,
        }, ReadOnlyMemory<byte>.Empty, ts);
        // A DVD's program stream, its times as the TS made them (the PS muxer alone pads the start of every stream alike).
        if (ps) Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-copyts", "-i", ts, "-c", "copy", "-f", "vob", input }, ReadOnlyMemory<byte>.Empty, input);
        else File.Move(ts, input);
        string output = Path.Combine(dir, "out.mp4"), review = Path.Combine(dir, "review.mp4");
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output, "--side-by-side", review));
        Assert.True(r.ExitCode == 0, r.Stderr);
        double before = Gap(input), after = Gap(output);
        Assert.True(Math.Abs(after - before) < 0.002, $"the picture starts {before:F4} s after the sound in {name}, {after:F4} s in the output");
        // The review pairs the input's frames with the output's by their times: read from the video's own start, it paired none.
        Assert.Equal(6, Media.CountFrames(review));
        // A job or plan of the old timing (from the video's first frame) is not resumed onto the new one.
        Assert.Equal("from the file's start", RestorePipeline.Settings(FrameSource.Open(input), new RestoreOptions())["timing"]);
        Assert.False(RestorePipeline.Settings(FrameSource.Open(output), new RestoreOptions()).ContainsKey("timing"));

        static string Seconds(double s) => s.ToString("0.0##", System.Globalization.CultureInfo.InvariantCulture);
        // The video's first timestamp less the sound's, as ffprobe reads them.
        static double Gap(string file)
        {
            var starts = Media.Probe(file, "-show_entries", "stream=codec_type,start_time").Select(l => l.Split(','))
                .DistinctBy(c => c[0]).ToDictionary(c => c[0], c => double.Parse(c[1], System.Globalization.CultureInfo.InvariantCulture));
            return starts["video"] - starts["audio"];
        }
    }

    [Fact]
    public void DeinterlacingAllOfAFolderIsRefused()
    {
        var dir = TestPaths.NewTempDir();
        var frames = Path.Combine(dir, "frames");
        Directory.CreateDirectory(frames);
        ImageIO.Write(Path.Combine(frames, "f1.png"), new Tensor(new Shape(1, 1, 8, 8)));
        foreach (var mode in new[] { "all", "ivtc" })
        {
            var r = ReelProcess.Run("restore", frames, Path.Combine(dir, "out.mp4"), "--no-denoise", "--no-colorize", "--deinterlace", mode, "--no-progress");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains($"--deinterlace {mode} takes a video", r.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AnOutputWhoseNameHoldsAHashOrAQuestionMarkIsJoined()
    {
        // The pieces' script is read as a URL, whose '#' or '?' ended the path: the join found no pieces.
        var dir = Path.Combine(TestPaths.NewTempDir(), "take #2?");
        Directory.CreateDirectory(dir);
        var input = Media.MakeClip(dir, "reel #1.mp4");
        var output = Path.Combine(dir, "restored #1?.mp4");
        var r = ReelProcess.Run("restore", input, output, "--no-denoise", "--no-colorize", "--no-stabilize", "--max-shot-frames", "2", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(6, Media.CountFrames(output));
        Assert.Equal(new[] { "video:h264", "audio:aac" }, Media.Streams(output));
    }

    /// <summary>A file whose name starts with "-", given after "--", is read as a file: ffprobe took it for an option.</summary>
    [Fact]
    public void AnInputNamedLikeAnOptionIsReadAsAFile()
    {
        var dir = TestPaths.NewTempDir();
        File.Move(Media.MakeClip(dir, size: "64x48", audio: false), Path.Combine(dir, "-dash.mp4"));
        var r = ReelProcess.RunIn(dir, new Dictionary<string, string>(), "restore", "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress", "--", "-dash.mp4", "out.mp4");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(Media.CountFrames(Path.Combine(dir, "out.mp4")) > 0);
    }

    internal static Dictionary<string, string?> Tags(string file, string stream) =>
        System.Text.Json.JsonDocument.Parse(Ffmpeg.Run(Ffmpeg.FfprobePath, new[] { "-v", "error", "-select_streams", stream, "-show_entries", "stream_tags",
                "-of", "json", file }, ReadOnlyMemory<byte>.Empty, file)).RootElement.GetProperty("streams")[0].TryGetProperty("tags", out var tags)
            ? tags.EnumerateObject().ToDictionary(p => p.Name.ToLowerInvariant(), p => p.Value.GetString())
            : new Dictionary<string, string?>();

    /// <summary>
    /// A video-range film's super-whites (luma above 235, common in VHS and broadcast transfers) and sub-blacks come out as
    /// plain white and black, as a player shows them: their detail was clipped without a word. Said, with a share of the
    /// luma codes and the conversion that keeps them; not for a full-range film, whose 250 is in range, nor for a film in range.
    /// </summary>
    [Theory]
    [InlineData("tv", "if(lt(X\\,32)\\,250\\,100)", "is video-range YUV and 50% of its picture lies above video white (235: super-whites); read as every player shows it, that comes out as plain white,")]
    [InlineData("tv", "if(lt(Y\\,12)\\,4\\,100)", "is video-range YUV and 25% of its picture lies below video black (16); read as every player shows it, that comes out as plain black,")]
    [InlineData("pc", "if(lt(X\\,32)\\,250\\,100)", null)]
    [InlineData("tv", "if(lt(X\\,32)\\,230\\,20)", null)]
    public void LumaOutsideVideoRangeIsToldItIsClipped(string range, string luma, string? said)
    {
        var dir = TestPaths.NewTempDir();
        var input = Path.Combine(dir, "in.mp4");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", $"color=c=gray:size=64x48:rate=10,format=yuv420p,geq=lum='{luma}':cb=128:cr=128",
            "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-color_range", range, input }, ReadOnlyMemory<byte>.Empty, input);
        var r = ReelProcess.Run("restore", input, Path.Combine(dir, "out.mp4"), "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        if (said is null) Assert.DoesNotContain("video-range YUV", r.Stderr);
        else
        {
            Assert.Contains($"note: {input} {said}", r.Stderr);
            Assert.Contains("scale=in_range=full:out_range=limited", r.Stderr);
        }
    }

    [Fact]
    public void AColourInputIsToldItsColoursAreNotKept()
    {
        // A tinted print or a colour film came out gray, through a restore with every stage off, without a word.
        var dir = TestPaths.NewTempDir();
        var colour = Path.Combine(dir, "colour.mp4");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-frames:v", "3", "-c:v", "libx264",
            "-pix_fmt", "yuv420p", colour }, ReadOnlyMemory<byte>.Empty, colour);
        var r = ReelProcess.Run("restore", colour, Path.Combine(dir, "out.mp4"), "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"{colour} is in colour (its frames are ", r.Stderr);
        Assert.Contains("so the output is gray: its own colours are not kept", r.Stderr);
        // A gray film with a little chroma noise (3 levels, a transfer's) is no colour.
        var gray = Path.Combine(dir, "gray.mp4");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=128x96:rate=10", "-frames:v", "3",
            "-vf", "format=gray,format=yuv420p,noise=c1s=3:c2s=3:allf=t", "-c:v", "libx264", "-pix_fmt", "yuv420p", gray }, ReadOnlyMemory<byte>.Empty, gray);
        r = ReelProcess.Run("restore", gray, Path.Combine(dir, "gray-out.mp4"), "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("is in colour", r.Stderr);
        // Nor is one whose chroma is a code off gray (129, 127: an encoder's rounding), which read 6.2 levels and was.
        foreach (var code in new[] { 129, 127 })
        {
            var off = Path.Combine(dir, $"off{code}.mkv");
            Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-frames:v", "3",
                "-vf", $"format=gray,format=yuv444p,lutyuv=u={code}:v={code}", "-c:v", "ffv1", off }, ReadOnlyMemory<byte>.Empty, off);
            r = ReelProcess.Run("restore", off, Path.Combine(dir, $"off{code}-out.mp4"), "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.DoesNotContain("is in colour", r.Stderr);
        }
    }

    /// <summary>A scan's 16-bit frames and transparent ones lost their depth and their alpha without a word (a 16-bit video was told).</summary>
    [Theory]
    [InlineData("gray16be", "frames have 16-bit samples (gray16be); Reel reads 8 bits a sample of them")]
    [InlineData("rgba", "frames have an alpha channel (rgba); it is not kept")]
    [InlineData("gray", null)]
    public void AFolderOfDeepOrTransparentFramesIsTold(string pixels, string? said)
    {
        var dir = TestPaths.NewTempDir();
        var frames = Path.Combine(dir, "scan");
        Directory.CreateDirectory(frames);
        for (int i = 1; i <= 2; i++)
        {
            var frame = Path.Combine(frames, $"f{i}.png");
            Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1", "-pix_fmt", pixels, frame },
                ReadOnlyMemory<byte>.Empty, frame);
        }
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(frames, Path.Combine(dir, "out.mp4")));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var notes = r.Stderr.Split('\n').Where(l => l.StartsWith("note: ", StringComparison.Ordinal)).ToList();
        if (said is null) Assert.Empty(notes);
        else Assert.Contains(notes, n => n.Contains(said, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("color=c=black:size=64x48:rate=10:duration=1", "testsrc2=size=64x48:rate=10:duration=3", true)]
    [InlineData("testsrc2=size=64x48:rate=10:duration=0.5", "testsrc2=size=64x48:rate=10:duration=3.5,format=gray", false)]
    public void ColourIsJudgedOnTheFilmNotItsFirstFrame(string opening, string rest, bool colour)
    {
        // A colour film's black leader read as gray, so it was not told; a gray film behind a colour logo was.
        var dir = TestPaths.NewTempDir();
        var input = Path.Combine(dir, "film.mp4");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", opening, "-f", "lavfi", "-i", rest, "-filter_complex",
            "[0:v]format=yuv420p[a];[1:v]format=yuv420p[b];[a][b]concat=n=2:v=1[v]", "-map", "[v]", "-c:v", "libx264", "-pix_fmt", "yuv420p", input },
            ReadOnlyMemory<byte>.Empty, input);
        var r = ReelProcess.Run("restore", input, Path.Combine(dir, "out.mp4"), "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(colour, r.Stderr.Contains($"{input} is in colour", StringComparison.Ordinal));
    }

    [Fact]
    public void RotatedVideoComesOutUpright()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, size: "64x48", rotate: 90, audio: false);
        var info = VideoFile.Probe(input);
        Assert.Equal((48, 64, 90), (info.Width, info.Height, info.Rotation % 180));
        var output = Path.Combine(dir, "out.mp4");
        var r = ReelProcess.Run("restore", input, output, "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var outInfo = VideoFile.Probe(output);
        Assert.Equal((48, 64, 0), (outInfo.Width, outInfo.Height, outInfo.Rotation));
        // The output's pixels are the input as a player shows it (ffmpeg's own upright decode), up to re-encoding.
        var upright = VideoFile.ReadFrames(input, info, PixelFormat.Gray8).First().Pixels;
        var ours = VideoFile.ReadFrames(output, outInfo, PixelFormat.Gray8).First().Pixels;
        double mean = upright.Zip(ours, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(mean < 6, $"mean difference {mean:F2} levels from the upright input");
    }

    [Fact]
    public void FrameFoldersGoInAndComeOut()
    {
        var dir = TestPaths.NewTempDir();
        var clip = Media.MakeClip(dir);
        var frames = Path.Combine(dir, "frames");
        var r = ReelProcess.Run("restore", clip, frames, "--denoiser", Denoiser, "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        // The film's sound cannot go into a folder: it was dropped without a word.
        Assert.Contains($"note: {frames} is a folder of frames, which holds no sound or subtitles: the audio stream of {clip} is not kept", r.Stderr);
        var pngs = Directory.GetFiles(frames).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"{i:D6}.png"), pngs);
        // A gray film's frames are gray PNGs, as it comes from the prior too: they were RGB, three equal channels, three times the size.
        var trained = Path.Combine(dir, "trained");
        r = ReelProcess.Run("restore", clip, trained, "--no-denoise", "--no-colorize", "--epochs", "1", "--no-irt", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.All(Directory.GetFiles(frames).Concat(Directory.GetFiles(trained)), f => Assert.Equal(new[] { "gray" }, Media.Probe(f, "-show_entries", "stream=pix_fmt")));

        var video = Path.Combine(dir, "from-frames.mp4");
        r = ReelProcess.Run("restore", frames, video, "--no-denoise", "--no-colorize", "--epochs", "1", "--no-irt", "--fps", "12", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        AssertSameTimes(Enumerable.Range(0, 6).Select(i => i / 12.0).ToList(), Media.FrameTimes(video));
        Assert.Equal(new[] { "video:h264" }, Media.Streams(video));
    }

    [Fact]
    public void AScannersUnpaddedDpxFramesAreRestoredInTheirOrder()
    {
        var dir = TestPaths.NewTempDir();
        var scans = Path.Combine(dir, "scans");
        Directory.CreateDirectory(scans);
        // 16-bit DPX as film scanners write it, numbered without padding: frame k is a flat gray of its own level.
        const int frames = 12;
        for (int k = 1; k <= frames; k++)
        {
            var file = Path.Combine(scans, $"reel1_{k}.dpx");
            Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "rawvideo", "-pix_fmt", "gray", "-s", "32x24", "-i", "-", "-pix_fmt", "gray16le", file },
                Enumerable.Repeat((byte)(10 + 20 * k), 32 * 24).ToArray(), file);
        }
        var video = Path.Combine(dir, "restored.mp4");
        var r = ReelProcess.Run("restore", scans, video, "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var info = VideoFile.Probe(video);
        var levels = VideoFile.ReadFrames(video, info, PixelFormat.Gray8).Select(f => (int)Math.Round(f.Pixels.Average(p => p))).ToList();
        // In character order reel1_10 came second: the film was encoded shuffled.
        Assert.Equal(frames, levels.Count);
        for (int k = 0; k < frames; k++) Assert.InRange(levels[k], 10 + 20 * (k + 1) - 3, 10 + 20 * (k + 1) + 3);
        Assert.DoesNotContain("missing from the numbering", r.Stderr, StringComparison.Ordinal);

        // A scan with a frame lost: a warning, or with --strict an error before any frame is restored.
        File.Delete(Path.Combine(scans, "reel1_7.dpx"));
        r = ReelProcess.Run("restore", scans, Path.Combine(dir, "gap.mp4"), "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("1 frame missing from the numbering, first between reel1_6.dpx and reel1_8.dpx", r.Stderr, StringComparison.Ordinal);
        r = ReelProcess.Run("restore", scans, Path.Combine(dir, "strict.mp4"), "--no-denoise", "--no-colorize", "--no-stabilize", "--strict", "--no-progress");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("missing from the numbering", r.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "strict.mp4")));
    }

    [Theory]
    [InlineData("33x17")]
    [InlineData("1x1")]
    public void OddAndOnePixelSizesAreRestored(string size)
    {
        var dir = TestPaths.NewTempDir();
        // Random gray frames of exactly this size (ffmpeg's test sources round sizes to even), kept by lossless FFV1.
        var input = Path.Combine(dir, "in.mkv");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "rawvideo", "-pix_fmt", "gray", "-s", size, "-r", "10", "-i", "/dev/urandom",
            "-frames:v", "3", "-c:v", "ffv1", input }, ReadOnlyMemory<byte>.Empty, input);
        var (w, h) = (int.Parse(size.Split('x')[0]), int.Parse(size.Split('x')[1]));
        Assert.Equal((w, h), (VideoFile.Probe(input).Width, VideoFile.Probe(input).Height));
        var output = Path.Combine(dir, "out.mp4");
        var r = ReelProcess.Run("restore", input, output, "--denoiser", Denoiser, "--no-colorize", "--epochs", "1", "--no-irt", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var info = VideoFile.Probe(output);
        // 4:2:0 video needs even sizes: odd ones gain one padded row or column, and say so.
        Assert.Equal((w + w % 2, h + h % 2, 3), (info.Width, info.Height, info.FrameCount));
        Assert.Contains("padded", r.Stderr);
    }

    [Fact]
    public void DenoiseAndColorizeTakeVideosToo()
    {
        var dir = TestPaths.NewTempDir();
        var clip = Media.MakeClip(dir, vfr: true);
        var output = Path.Combine(dir, "denoised.mp4");
        var r = ReelProcess.Run("denoise", clip, output, "--weights", Denoiser, "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        AssertSameTimes(Media.FrameTimes(clip), Media.FrameTimes(output));
        Assert.Contains("audio:aac", Media.Streams(output));
    }
}
