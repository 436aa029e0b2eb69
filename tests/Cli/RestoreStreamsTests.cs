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
    private static byte[] GrayFrames(string path, string? filter = null) => Ffmpeg.Run(Ffmpeg.FfmpegPath,
        new[] { "-v", "error", "-i", path, "-map", "0:v:0" }.Concat(filter is null ? Array.Empty<string>() : new[] { "-vf", filter })
            .Concat(new[] { "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "-" }).ToList(),
        ReadOnlyMemory<byte>.Empty, path);

    /// <summary>`reel restore plan` of <paramref name="input"/> with <paramref name="options"/> in DIR/work, one worker on every shard, and the join into DIR/joined.mkv, each exiting 0; the joined file.</summary>
    private static string PlanRunJoin(string input, string dir, params string[] options)
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

    private static void AssertSameTimes(IReadOnlyList<double> expected, IReadOnlyList<double> actual)
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

    [Theory]
    [InlineData("out.mp4", "80", "--crf 80: libx264 takes 0 to 51")]
    [InlineData("out.webm", "64", "--crf 64: libvpx-vp9 takes 0 to 63")]
    [InlineData("out.mp4", "-1", "--crf -1: libx264 takes 0 to 51")]
    public void ACrfTheEncoderWouldClampIsRefusedBeforeAnyWork(string name, string crf, string said)
    {
        // libx264 clamped a crf of 80 to 51 without a word.
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, seconds: 0.3);
        var r = ReelProcess.Run("restore", input, Path.Combine(dir, name), "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress", "--crf", crf);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(said, r.Stderr);
        Assert.Equal(new[] { "in.mp4" }, Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void WebmIsVp9AndOpusByDefaultAndACodecItCannotHoldFailsBeforeAnyWork()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, seconds: 0.3);
        var output = Path.Combine(dir, "out.webm");
        var r = ReelProcess.Run("restore", input, output, "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        // WebM holds no H.264 nor AAC: its usual encoder, and the AAC converted (with a note).
        Assert.Equal(new[] { "video:vp9", "audio:opus" }, Media.Streams(output));
        Assert.Contains("converted to libopus", r.Stderr);

        // Named, H.264 cannot go into WebM: said with ffmpeg's own reason before a frame is restored,
        // where it was said when the pieces were joined, after the whole film.
        var refused = Path.Combine(dir, "h264.webm");
        r = ReelProcess.Run("restore", input, refused, "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress", "--encoder", "libx264");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("h264.webm (libx264 video with the input's audio and subtitles in a .webm file): ffmpeg failed:", r.Stderr);
        Assert.Contains("WebM", r.Stderr);
        Assert.DoesNotContain("Error initializing output stream", r.Stderr);
        Assert.False(File.Exists(refused));
        // No work folder, no trial file: nothing was begun.
        Assert.Equal(new[] { "in.mp4", "out.webm" }, Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Order());

        // An ffmpeg without the encoder the audio's conversion needs (libopus here) fails as early, where it
        // failed at the join. The stand-in refuses libopus as such a build does and passes the rest to ffmpeg.
        var noOpus = Path.Combine(TestPaths.NewTempDir(), "ffmpeg-without-opus");
        File.WriteAllText(noOpus, "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = libopus ] && { echo \"Unknown encoder 'libopus'\" >&2; exit 1; }; done\nexec ffmpeg \"$@\"\n");
        File.SetUnixFileMode(noOpus, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var noAudio = Path.Combine(dir, "no-opus.webm");
        r = ReelProcess.RunWithEnvironment(new Dictionary<string, string> { ["REEL_FFMPEG"] = noOpus },
            "restore", input, noAudio, "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no-opus.webm (libvpx-vp9 video with the input's audio and subtitles in a .webm file):", r.Stderr);
        Assert.Contains("Unknown encoder 'libopus'", r.Stderr);
        Assert.DoesNotContain("process:", r.Stderr);
        Assert.Equal(new[] { "in.mp4", "out.webm" }, Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Order());
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

    /// <summary>A DVD's 5.1(side) AC-3 into WebM: libopus refused the layout and the whole restore failed after its work.</summary>
    [Fact]
    public void SurroundSoundGoesIntoWebmAsOpus()
    {
        var dir = TestPaths.NewTempDir();
        var input = Path.Combine(dir, "dvd.mkv");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=0.3", "-f", "lavfi", "-i", "sine=duration=0.3",
            "-filter_complex", "[1]pan=5.1(side)|FL=c0|FR=c0|FC=c0|LFE=c0|SL=c0|SR=c0[a]", "-map", "0:v", "-map", "[a]", "-c:v", "libx264", "-pix_fmt", "yuv420p",
            "-c:a", "ac3", input }, ReadOnlyMemory<byte>.Empty, input);
        var output = Path.Combine(dir, "out.webm");
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("audio stream 0 (ac3) does not fit .webm; converted to libopus", r.Stderr);
        Assert.Equal(["opus,6"], Media.Probe(output, "-select_streams", "a:0", "-show_entries", "stream=codec_name,channels"));
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

    [Fact]
    public void ARangeOfTheFilmIsRestoredAloneWithItsSoundCutAlike()
    {
        var dir = TestPaths.NewTempDir();
        // 3 s of lossless video at 25 fps with a tone and a start timecode.
        var clip = Media.MakeClip(dir, "clip.mkv", seconds: 3, rate: "25", codec: "ffv1");
        var input = Path.Combine(dir, "in.mkv");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-i", clip, "-map", "0", "-c", "copy", "-timecode", "01:00:00:05", input }, ReadOnlyMemory<byte>.Empty, input);
        const int frame = 64 * 48;
        var wanted = GrayFrames(input).AsSpan(25 * frame, 25 * frame).ToArray();

        var output = Path.Combine(dir, "scene.mkv");
        string[] range = { "--from", "0:01", "--to", "2", "--no-denoise", "--no-colorize", "--no-stabilize", "--encoder", "ffv1", "--no-progress" };
        var r = ReelProcess.Run(new[] { "restore", input, output }.Concat(range).ToArray());
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("warning", r.Stderr, StringComparison.Ordinal);
        // Frames 25 to 49 exactly, each at its time less the second cut off.
        Assert.True(GrayFrames(output).AsSpan().SequenceEqual(wanted), "the scene's frames are not the input's from 1 s to 2 s");
        AssertSameTimes(Media.FrameTimes(input).Skip(25).Take(25).Select(t => t - 1.0).ToList(), Media.FrameTimes(output));
        // The sound from the same second: it starts with the first frame (a packet's length at most later), not a keyframe's distance before it.
        var audio = System.Text.Encoding.ASCII.GetString(Ffmpeg.Run(Ffmpeg.FfprobePath, new[] { "-v", "error", "-select_streams", "a",
            "-show_entries", "packet=pts_time", "-of", "csv=p=0", output }, ReadOnlyMemory<byte>.Empty, output))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(t => double.Parse(t.Trim(',', ' '), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.InRange(audio[0], 0, 0.03);
        Assert.InRange(audio[^1], 0.95, 1.0);
        Assert.Equal("01:00:01:05", VideoFile.Probe(output).Timecode);

        // Through a plan: the same frames, the sound cut alike at the join.
        var joined = PlanRunJoin(input, dir, range);
        Assert.True(GrayFrames(joined).AsSpan().SequenceEqual(wanted));
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

    /// <summary>late.mkv: 2.5 s of a tone in <paramref name="audioCodec"/>, and 1.5 s of video at 10 fps from its first second on.</summary>
    private static string LateVideo(string dir, string audioCodec)
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
        var input = LateVideo(dir, "aac");
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

    /// <summary>
    /// The same cut with sound converted on the way (FLAC into MP4 becomes ALAC): the second before the cut was encoded
    /// too and the whole shifted to start at 0, so the range's end fell off: a second's range kept half a second of sound.
    /// </summary>
    [Fact]
    public void AConvertedSoundKeepsTheWholeRangeOfAVideoThatStartsAfterIt()
    {
        var dir = TestPaths.NewTempDir();
        var input = LateVideo(dir, "flac");
        var output = Path.Combine(dir, "out.mp4");
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output, "--from", "0.5", "--to", "1.5"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("converted to alac", r.Stderr, StringComparison.Ordinal);
        var samples = Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-i", output, "-map", "0:a", "-f", "s16le", "-ac", "1", "-ar", "44100", "-" },
            ReadOnlyMemory<byte>.Empty, output).Length / 2;
        Assert.InRange(samples / 44100.0, 0.97, 1.03);
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

    [Fact]
    public void CoverArtIsKeptInMp4AndNamedWhereItCannotGo()
    {
        var dir = TestPaths.NewTempDir();
        var clip = Media.MakeClip(dir, "plain.mp4");
        var cover = Path.Combine(dir, "cover.png");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", "color=c=red:size=32x32", "-frames:v", "1", cover }, ReadOnlyMemory<byte>.Empty, cover);
        var input = Path.Combine(dir, "in.mp4");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-i", clip, "-i", cover, "-map", "0", "-map", "1", "-c", "copy", "-disposition:v:1", "attached_pic", input },
            ReadOnlyMemory<byte>.Empty, input);
        string CoverOf(string path) => System.Text.Encoding.UTF8.GetString(Ffmpeg.Run(Ffmpeg.FfmpegPath,
            new[] { "-v", "error", "-i", path, "-map", "0:v:1", "-c", "copy", "-f", "md5", "-" }, ReadOnlyMemory<byte>.Empty, path)).Trim();
        string Disposition(string path) => System.Text.Encoding.UTF8.GetString(Ffmpeg.Run(Ffmpeg.FfprobePath,
            new[] { "-v", "error", "-select_streams", "v", "-show_entries", "stream_disposition=attached_pic", "-of", "csv=p=0", path },
            ReadOnlyMemory<byte>.Empty, path)).ReplaceLineEndings(" ").Trim();

        // Kept, the same bytes, after the restored video and marked as cover art (before, it was dropped without a word).
        var mp4 = Path.Combine(dir, "out.mp4");
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, mp4));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(new[] { "video:h264", "audio:aac", "video:png" }, Media.Streams(mp4));
        Assert.Equal("0 1", Disposition(mp4));
        Assert.Equal(CoverOf(input), CoverOf(mp4));
        Assert.Equal(6, Media.CountFrames(mp4));

        // Matroska: this ffmpeg would make it a second video track, so it is left out, and said so.
        var mkv = Path.Combine(dir, "out.mkv");
        r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, mkv));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("note: 1 picture of cover art cannot be stored in .mkv by this ffmpeg; left out (use .mp4 to keep it)", r.Stderr);
        Assert.Equal(new[] { "video:h264", "audio:aac" }, Media.Streams(mkv));

        // A song with its cover has no video to restore (its picture was taken for a one-frame film).
        var song = Path.Combine(dir, "song.m4a");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-i", clip, "-i", cover, "-map", "0:a", "-map", "1", "-c", "copy", "-disposition:v:0", "attached_pic", song },
            ReadOnlyMemory<byte>.Empty, song);
        r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(song, Path.Combine(dir, "song.mp4")));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("its only pictures are cover art, no video", r.Stderr);
    }

    [Fact]
    public void ASecondVideoStreamIsNamedAsLeftOutAndUnwrittenContainersAreRefused()
    {
        var dir = TestPaths.NewTempDir();
        var clip = Media.MakeClip(dir, "plain.mp4");
        var input = Path.Combine(dir, "two.mkv");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-i", clip, "-f", "lavfi", "-i", "smptebars=size=64x48:rate=10:duration=0.6",
            "-map", "0", "-map", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "copy", input }, ReadOnlyMemory<byte>.Empty, input);
        var output = Path.Combine(dir, "out.mkv");
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("note: 1 more video stream is not restored and left out (the first video is the film)", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(new[] { "video:h264", "audio:aac" }, Media.Streams(output));

        // Containers Reel reads but does not write: an .mpg failed at the join after the whole film (H.264 in MPEG-PS
        // reads back as MP3), an .flv, a .gif or a .y4m became a folder of PNG frames without its sound.
        foreach (var name in new[] { "out.mpg", "out.flv", "out.gif", "out.y4m" })
        {
            r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(clip, Path.Combine(dir, name)));
            Assert.Equal(1, r.ExitCode);
            Assert.Contains($"Reel writes .mp4, .mkv, .mov, .avi, .webm, .m4v, .ts, .nut videos, not {Path.GetExtension(name)}", r.Stderr, StringComparison.Ordinal);
            Assert.False(Path.Exists(Path.Combine(dir, name)), $"{name} was made");
        }
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

    /// <summary>HEVC in an MP4 or a MOV is tagged hvc1, which Apple's players take; ffmpeg's default hev1 they refuse.</summary>
    [Theory]
    [InlineData("out.mp4")]
    [InlineData("out.mov")]
    public void HevcIsTaggedAsApplePlaysIt(string name)
    {
        var dir = TestPaths.NewTempDir();
        var clip = Media.MakeClip(dir, size: "64x48", audio: false);
        var output = Path.Combine(dir, name);
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(clip, output, "--encoder", "libx265", "--preset", "ultrafast"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var tag = Encoding.UTF8.GetString(Ffmpeg.Run(Ffmpeg.FfprobePath, new[] { "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_tag_string",
            "-of", "csv=p=0", output }, ReadOnlyMemory<byte>.Empty, output)).Trim();
        Assert.Equal("hvc1", tag);
    }

    /// <summary>Outputs that cannot be written are refused before any frame: a folder named dir.mp4 was found only at the join, and "-" and a sound file's name became folders of frames.</summary>
    [Theory]
    [InlineData("dir.mp4", "is a folder; give a video file's name")]
    [InlineData("-", "not to standard output")]
    [InlineData("out.wav", "is named as a sound file")]
    public void AnOutputThatCannotBeWrittenIsRefusedAtOnce(string name, string message)
    {
        var dir = TestPaths.NewTempDir();
        var clip = Media.MakeClip(dir, size: "64x48", audio: false);
        if (name == "dir.mp4") Directory.CreateDirectory(Path.Combine(dir, name));
        var output = name == "-" ? name : Path.Combine(dir, name);
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(clip, output));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("process: ", r.Stderr, StringComparison.Ordinal);
        if (name == "out.wav") Assert.False(Path.Exists(output), $"{output} was made");
    }

    /// <summary>
    /// A container that takes a codec it cannot give back: FFV1 or VP9 into an MPEG-TS were written as data, and the join
    /// after the whole film read no frame back, on every --resume too. Refused before any frame, with the reason; and
    /// libx265's own summary no longer hides ffmpeg's reason for a WebM.
    /// </summary>
    [Theory]
    [InlineData("out.ts", "ffv1", "does not read back (it holds no frame): choose another --encoder or kind of file")]
    [InlineData("out.ts", "libvpx-vp9", "does not read back (it holds no frame): choose another --encoder or kind of file")]
    [InlineData("out.webm", "libx265", "Only VP8 or VP9 or AV1 video and Vorbis or Opus audio and WebVTT subtitles are supported for WebM.")]
    public void ACodecTheContainerCannotGiveBackIsRefusedAtOnce(string name, string encoder, string message)
    {
        var dir = TestPaths.NewTempDir();
        var clip = Media.MakeClip(dir, size: "64x48");
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(clip, Path.Combine(dir, name), "--encoder", encoder));
        Assert.Equal(1, r.ExitCode);
        Assert.EndsWith(message, r.Stderr.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("process: ", r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("out.mov", "25", "01:02:03:04")]
    [InlineData("out.mkv", "30000/1001", "00:59:59;28")]
    [InlineData("out.mp4", "10", "10:00:00:7")] // ffmpeg's one-digit frames at 10 fps and below: it was dropped
    public void TheSourceTimecodeIsKept(string name, string rate, string timecode)
    {
        // An archive's MOV carries its timecode in a tmcd track; an edit conformed to it must still line up.
        var dir = TestPaths.NewTempDir();
        var input = Path.Combine(dir, "in.mov");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", $"testsrc2=size=64x48:rate={rate}", "-frames:v", "3", "-c:v", "libx264",
            "-pix_fmt", "yuv420p", "-timecode", timecode, "-metadata:s:v:0", "reel_name=A001C003", input }, ReadOnlyMemory<byte>.Empty, input);
        Assert.Equal(timecode, VideoFile.Probe(input).Timecode);
        var output = Path.Combine(dir, name);
        var r = ReelProcess.Run("restore", input, output, "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(timecode, VideoFile.Probe(output).Timecode);
        // The camera roll the timecode counts on (a MOV keeps it on the timecode track) was lost; MP4's timecode track has no name.
        if (name != "out.mp4") Assert.Contains("A001C003", Media.Probe(output, "-show_entries", "stream_tags=reel_name"));
    }

    [Theory]
    [InlineData("out.mkv", "Reel 3, 2K scan")]
    [InlineData("out.mp4", null)] // MP4 keeps no title of a stream
    public void TheFilmsOwnVideoTagsAreKept(string name, string? title)
    {
        // The video stream's language and title came out "eng" and untitled; the source's encoder is not this stream's.
        var dir = TestPaths.NewTempDir();
        var input = Path.Combine(dir, "in.mkv");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-frames:v", "3", "-c:v", "libx264",
            "-pix_fmt", "yuv420p", "-metadata:s:v:0", "language=fre", "-metadata:s:v:0", "title=Reel 3, 2K scan", input }, ReadOnlyMemory<byte>.Empty, input);
        var output = Path.Combine(dir, name);
        var r = ReelProcess.Run("restore", input, output, "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var tags = Tags(output, "v:0");
        Assert.Equal("fre", tags.GetValueOrDefault("language"));
        Assert.Equal(title, tags.GetValueOrDefault("title"));
        Assert.DoesNotContain("encoder", tags.Keys);
    }

    /// <summary>
    /// ffmpeg's muxers drop without a word the file tags and chapters their container has no place for: an MPEG-TS kept the
    /// title alone (as its service's name) and no chapter, an AVI no chapter nor creation_time. What an output did not
    /// keep is named; what it kept is not.
    /// </summary>
    [Theory]
    [InlineData("out.ts", "tags REEL_NAME, creation_time, COMMENT", true)]
    [InlineData("out.avi", "tags REEL_NAME, creation_time", true)]
    [InlineData("out.mov", "tag REEL_NAME", false)]
    [InlineData("out.mkv", null, false)]
    public void TagsAndChaptersTheOutputCannotHoldAreNamed(string name, string? tagsLost, bool chaptersLost)
    {
        var dir = TestPaths.NewTempDir();
        var clip = Media.MakeClip(dir, "clip.mkv", seconds: 1, rate: "10", codec: "ffv1");
        var metadata = Path.Combine(dir, "metadata.txt");
        File.WriteAllText(metadata, ";FFMETADATA1\ntitle=Reel 3\ncreation_time=1950-01-02T03:04:05.000000Z\ncomment=scan of the print\nreel_name=R3\n"
            + "[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=500\ntitle=one\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=500\nEND=1000\ntitle=two\n");
        var input = Path.Combine(dir, "in.mkv");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-i", clip, "-i", metadata, "-map", "0", "-map_metadata", "1", "-map_chapters", "1", "-c", "copy", input },
            ReadOnlyMemory<byte>.Empty, input);
        var output = Path.Combine(dir, name);
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var ext = Path.GetExtension(name);
        var tagNote = r.Stderr.Split('\n').SingleOrDefault(l => l.Contains("did not keep the source's tag", StringComparison.Ordinal));
        if (tagsLost is null) Assert.Null(tagNote);
        else Assert.Equal($"note: {ext} did not keep the source's {tagsLost} (.mkv keeps every tag)", tagNote);
        Assert.Equal(chaptersLost, r.Stderr.Contains($"note: {ext} did not keep the 2 chapters", StringComparison.Ordinal));
        // The title is the one tag every container here keeps (an MPEG-TS as its service's name).
        var probe = System.Text.Encoding.UTF8.GetString(Ffmpeg.Run(Ffmpeg.FfprobePath, new[] { "-v", "error", "-show_entries", "format_tags=title:program_tags=service_name",
            "-of", "csv=p=0", output }, ReadOnlyMemory<byte>.Empty, output));
        Assert.Contains("Reel 3", probe);
    }

    /// <summary>
    /// Encoders other than the distribution ones were left to pick their format from RGB, untagged: ProRes came out
    /// 4444 at 12 bits, FFV1 as RGB that said nothing of its colours, and MPEG-2 failed after the first shot on the
    /// source's time base ("does not support 12800/1 fps").
    /// </summary>
    [Theory]
    [InlineData("prores_ks", "out.mov", "yuv422p10le", "smpte170m", "tv")]
    [InlineData("ffv1", "out.mkv", "bgr0", "gbr", "pc")]
    [InlineData("mpeg2video", "out.mov", "yuv420p", "smpte170m", "tv")]
    public void EveryEncoderGetsAFormatItIsMadeForAndTagsSayingWhatItHolds(string encoder, string name, string pixels, string matrix, string range)
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, rate: "25", seconds: 0.4, size: "64x48");
        var output = Path.Combine(dir, name);
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output, "--encoder", encoder));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal($"{pixels},{range},{matrix},bt709,bt709", Media.Probe(output, "-select_streams", "v:0", "-show_entries",
            "stream=pix_fmt,color_space,color_primaries,color_transfer,color_range").Single());
        Assert.Equal(10, Media.CountFrames(output));
    }

    /// <summary>A film at a rate MPEG-2 does not take is refused before any work, not after its first shot.</summary>
    [Fact]
    public void AFrameRateTheEncoderDoesNotTakeIsRefusedAtOnce()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, rate: "25/2", seconds: 0.8);
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, Path.Combine(dir, "out.mov"), "--encoder", "mpeg2video"));
        Assert.Equal(1, r.ExitCode);
        var said = r.Stderr.Trim().Split('\n')[^1];
        Assert.StartsWith("reel: error: mpeg2video takes only the frame rates 1/1, 2/1", said);
        Assert.EndsWith("this film's is 12.5 fps: choose another --encoder", said);
        Assert.DoesNotContain("process: ", r.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// A broadcast recording's channel is its MPEG-TS program's name and provider, which -map_metadata (the file's tags)
    /// left behind: lost into Matroska, and "Service01" / "FFmpeg" in a TS, without a word.
    /// </summary>
    [Theory]
    [InlineData("out.mkv")]
    [InlineData("out.ts")]
    public void ATransportStreamsChannelIsKept(string name)
    {
        var dir = TestPaths.NewTempDir();
        var clip = Media.MakeClip(dir, "clip.mkv", audio: false);
        var input = Path.Combine(dir, "in.ts");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-i", clip, "-c", "copy", "-metadata", "service_name=Chan One", "-metadata", "service_provider=Reel TV",
            "-f", "mpegts", input }, ReadOnlyMemory<byte>.Empty, input);
        var output = Path.Combine(dir, name);
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var tags = Media.Probe(output, "-show_entries", name == "out.ts" ? "program_tags=service_name,service_provider" : "format_tags=service_name,service_provider");
        Assert.Equal(new[] { "Chan One", "Reel TV" }, Assert.Single(tags).Split(',').Order());
        Assert.DoesNotContain("did not keep", r.Stderr);
    }

    /// <summary>A phone's make, model and local capture date (QuickTime metadata keys) were dropped from MOV and MP4 outputs.</summary>
    [Theory]
    [InlineData("out.mov")]
    [InlineData("out.mp4")]
    public void APhonesMetadataKeysAreKept(string name)
    {
        var dir = TestPaths.NewTempDir();
        var input = Path.Combine(dir, "phone.mov");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-frames:v", "3", "-c:v", "libx264",
            "-pix_fmt", "yuv420p", "-metadata", "com.apple.quicktime.make=Apple", "-metadata", "com.apple.quicktime.creationdate=2021-05-01T12:00:00+0200",
            "-movflags", "use_metadata_tags", input }, ReadOnlyMemory<byte>.Empty, input);
        var output = Path.Combine(dir, name);
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var tags = System.Text.Json.JsonDocument.Parse(Ffmpeg.Run(Ffmpeg.FfprobePath, new[] { "-v", "error", "-show_entries", "format_tags", "-of", "json", output },
            ReadOnlyMemory<byte>.Empty, output)).RootElement.GetProperty("format").GetProperty("tags");
        Assert.Equal("Apple", tags.GetProperty("com.apple.quicktime.make").GetString());
        Assert.Equal("2021-05-01T12:00:00+0200", tags.GetProperty("com.apple.quicktime.creationdate").GetString());
    }

    /// <summary>
    /// A video that states no language came out "eng" in Matroska and MOV (a folder of frames' too), and Matroska's lost
    /// its default flag; setting that flag by hand left a TS's two sound tracks with no default (review).
    /// </summary>
    [Theory]
    [InlineData("clip", "out.mkv")]
    [InlineData("clip", "out.mov")]
    [InlineData("folder", "out.mkv")]
    [InlineData("two-sounds.ts", "out.mkv")]
    public void AVideoOfNoLanguageStaysSoAndTheFirstTracksAreDefault(string kind, string name)
    {
        var dir = TestPaths.NewTempDir();
        string input = kind switch
        {
            "clip" => Media.MakeClip(dir, "in.mkv", seconds: 0.3, audio: false),
            "folder" => Path.Combine(dir, "frames"),
            _ => Path.Combine(dir, kind),
        };
        if (kind == "folder")
        {
            Directory.CreateDirectory(input);
            for (int i = 1; i <= 2; i++)
                Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1", Path.Combine(input, $"f{i}.png") },
                    ReadOnlyMemory<byte>.Empty, input);
        }
        if (kind.EndsWith(".ts", StringComparison.Ordinal))
            Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=0.3", "-f", "lavfi", "-i", "sine=duration=0.3",
                "-f", "lavfi", "-i", "sine=frequency=880:duration=0.3", "-map", "0:v", "-map", "1:a", "-map", "2:a", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", input },
                ReadOnlyMemory<byte>.Empty, input);
        var output = Path.Combine(dir, name);
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output));
        Assert.True(r.ExitCode == 0, r.Stderr);
        // "und", which ffmpeg writes as no tag at all.
        Assert.DoesNotContain("language", Tags(output, "v:0").Keys);
        var defaults = Media.Probe(output, "-show_entries", "stream=codec_type:stream_disposition=default");
        Assert.Equal(kind.EndsWith(".ts", StringComparison.Ordinal) ? new[] { "video,1", "audio,1", "audio,0" } : new[] { "video,1" }, defaults);
    }

    private static Dictionary<string, string?> Tags(string file, string stream) =>
        System.Text.Json.JsonDocument.Parse(Ffmpeg.Run(Ffmpeg.FfprobePath, new[] { "-v", "error", "-select_streams", stream, "-show_entries", "stream_tags",
                "-of", "json", file }, ReadOnlyMemory<byte>.Empty, file)).RootElement.GetProperty("streams")[0].TryGetProperty("tags", out var tags)
            ? tags.EnumerateObject().ToDictionary(p => p.Name.ToLowerInvariant(), p => p.Value.GetString())
            : new Dictionary<string, string?>();

    [Theory]
    [InlineData("out.mkv", "French dub")]
    [InlineData("out.mp4", null)] // MP4 keeps no title of a stream
    public void EveryOtherStreamKeepsItsLanguageTitleAndFileName(string name, string? title)
    {
        // Keeping the video's tags with a per-stream -map_metadata made ffmpeg drop every other stream's: the audio
        // and subtitles came out "und", and a Matroska film with a font for its subtitles could not be written at
        // all ("Attachment stream 3 has no filename tag").
        var dir = TestPaths.NewTempDir();
        var input = Path.Combine(dir, "in.mkv");
        var ass = Path.Combine(dir, "subs.ass");
        File.WriteAllText(ass, "[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize\nStyle: Default,DejaVu Sans,20\n\n" +
                               "[Events]\nFormat: Layer, Start, End, Style, Text\nDialogue: 0,0:00:00.00,0:00:00.30,Default,Hello\n");
        var font = Path.Combine(dir, "font.ttf");
        File.WriteAllBytes(font, new byte[64]);
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-f", "lavfi", "-i", "sine=duration=0.3", "-i", ass,
            "-map", "0:v", "-map", "1:a", "-map", "2:s", "-frames:v", "3", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-c:s", "copy",
            "-metadata:s:a:0", "language=fra", "-metadata:s:a:0", "title=French dub", "-metadata:s:s:0", "language=ger",
            "-attach", font, "-metadata:s:t", "mimetype=application/x-truetype-font", input }, ReadOnlyMemory<byte>.Empty, input);
        var output = Path.Combine(dir, name);
        var r = ReelProcess.Run("restore", input, output, "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var audio = Tags(output, "a:0");
        Assert.Equal(("fra", title), (audio.GetValueOrDefault("language"), audio.GetValueOrDefault("title")));
        Assert.Equal("ger", Tags(output, "s:0").GetValueOrDefault("language"));
        if (name.EndsWith(".mkv", StringComparison.Ordinal)) Assert.Equal("font.ttf", Tags(output, "t:0").GetValueOrDefault("filename"));
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

    /// <summary>
    /// An HDR video's PQ or HLG code values are read as an SDR picture's and the output tagged SDR: it came out washed
    /// out, and only its bit depth was told. Now said, with the conversion that fixes it; an SDR video says nothing of it.
    /// </summary>
    [Theory]
    [InlineData("smpte2084", "is HDR (PQ); Reel reads its code values as SDR's, without tone mapping")]
    [InlineData("arib-std-b67", "is HDR (HLG); Reel reads its code values as SDR's, without tone mapping")]
    [InlineData("bt709", null)]
    public void AnHdrVideoIsToldItIsReadAsSdr(string transfer, string? said)
    {
        var dir = TestPaths.NewTempDir();
        var input = Path.Combine(dir, "in.mp4");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-frames:v", "3", "-vf", "format=gray,format=yuv420p",
            "-c:v", "libx264", "-color_primaries", "bt2020", "-colorspace", "bt2020nc", "-color_trc", transfer, input }, ReadOnlyMemory<byte>.Empty, input);
        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, Path.Combine(dir, "out.mp4")));
        Assert.True(r.ExitCode == 0, r.Stderr);
        if (said is null) Assert.DoesNotContain("HDR", r.Stderr);
        else Assert.Contains($"note: {input} {said}", r.Stderr);
    }

    /// <summary>A scan's 16-bit frames and transparent ones lost their depth and their alpha without a word (a 16-bit video was told).</summary>
    [Theory]
    [InlineData("gray16be", "frames have 16-bit samples (gray16be); Reel restores and writes 8 bits a sample")]
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
