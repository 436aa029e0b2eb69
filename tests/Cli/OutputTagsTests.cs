using System.Globalization;
using System.Text;
using Reel.Engine.Pipeline;
using Reel.Engine.Tensors;
using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>
/// What `reel restore` writes besides the pictures' pixels: the output's format and colour tags, its file and stream tags,
/// chapters, timecode and cover art, each kept or named where the container cannot hold it; and what it refuses to write
/// before any work. Split from <see cref="RestoreStreamsTests"/> so the two run side by side.
/// </summary>
public class OutputTagsTests
{
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
        Assert.DoesNotContain("language", RestoreStreamsTests.Tags(output, "v:0").Keys);
        var defaults = Media.Probe(output, "-show_entries", "stream=codec_type:stream_disposition=default");
        Assert.Equal(kind.EndsWith(".ts", StringComparison.Ordinal) ? new[] { "video,1", "audio,1", "audio,0" } : new[] { "video,1" }, defaults);
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
        var audio = RestoreStreamsTests.Tags(output, "a:0");
        Assert.Equal(("fra", title), (audio.GetValueOrDefault("language"), audio.GetValueOrDefault("title")));
        Assert.Equal("ger", RestoreStreamsTests.Tags(output, "s:0").GetValueOrDefault("language"));
        if (name.EndsWith(".mkv", StringComparison.Ordinal)) Assert.Equal("font.ttf", RestoreStreamsTests.Tags(output, "t:0").GetValueOrDefault("filename"));
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
        var tags = RestoreStreamsTests.Tags(output, "v:0");
        Assert.Equal("fre", tags.GetValueOrDefault("language"));
        Assert.Equal(title, tags.GetValueOrDefault("title"));
        Assert.DoesNotContain("encoder", tags.Keys);
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
    /// ffmpeg drops without a word an encoder option the encoder has no use for: --preset veryslow into a WebM ran at
    /// VP9's own speed, --crf into FFV1 changed nothing. Said where it was asked for; not where the default is left.
    /// </summary>
    [Theory]
    [InlineData("out.webm", new[] { "--preset", "veryslow" }, "--preset veryslow is not used with libvpx-vp9: Reel passes it to x264 and x265 only")]
    [InlineData("out.mkv", new[] { "--encoder", "ffv1", "--crf", "20", "--preset", "slow" },
        "--crf 20 is not used with ffv1: Reel passes it to x264, x265, VP9 and AV1 (libaom, SVT-AV1) only; --preset slow is not used with ffv1: Reel passes it to x264 and x265 only")]
    [InlineData("out.webm", new string[0], null)]
    [InlineData("out.mp4", new[] { "--preset", "veryfast", "--crf", "23" }, null)]
    public void QualitySettingsTheEncoderDoesNotTakeAreSaid(string name, string[] settings, string? said)
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, seconds: 0.2, audio: false);
        var r = ReelProcess.Run(new[] { "restore", input, Path.Combine(dir, name), "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress" }.Concat(settings).ToArray());
        Assert.True(r.ExitCode == 0, r.Stderr);
        if (said is null) Assert.DoesNotContain("is not used", r.Stderr);
        else Assert.Contains("note: " + said, r.Stderr);
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
}
