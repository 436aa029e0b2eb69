using System.Globalization;
using FFMpegCore;
using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Video;

/// <summary>
/// <see cref="VideoFile.Probe"/> against FFMpegCore's FFProbe (6.0.0), which reads the same ffprobe
/// output with its own models. FFMpegCore is a test oracle only: its probe deserializes with
/// reflection, which NativeAOT (the shipped `reel` and libreel.so) does not run, so the engine keeps
/// its own reader (README, "What Reel guarantees"). They must agree on what Reel reads: the display size
/// (after rotation), the rotation, the frame rate, the durations and the audio and subtitle codecs.
/// </summary>
public class ProbeOracleTests
{
    [Fact]
    public void OurProbeAgreesWithFfmpegCoreOnTheRealClipAndTheStreamsTestClips()
    {
        var dir = TestPaths.NewTempDir();
        var real = Path.Combine(dir, "bike-packing.mp4");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[]
        {
            "-v", "error", "-framerate", "25", "-i", Path.Combine(TestPaths.SharedData("video/bike-packing-input"), "%05d.jpg"),
            "-c:v", "libx264", "-pix_fmt", "yuv420p", real,
        }, ReadOnlyMemory<byte>.Empty, real);
        var rotatedReal = Path.Combine(dir, "bike-packing-rotated.mp4");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-i", real, "-c", "copy", "-metadata:s:v:0", "rotate=270", rotatedReal },
            ReadOnlyMemory<byte>.Empty, rotatedReal);
        var clips = new[]
        {
            real,
            rotatedReal,
            Media.MakeClip(dir, "audio.mp4"),
            Media.MakeClip(dir, "vfr.mkv", vfr: true, subtitles: true, seconds: 1.2),
            Media.MakeClip(dir, "rotated.mp4", rotate: 90, subtitles: true),
            Media.MakeClip(dir, "odd.mkv", size: "63x47", codec: "ffv1", audio: false),
        };
        var rotations = new List<int>();
        foreach (var clip in clips)
        {
            var ours = VideoFile.Probe(clip);
            var theirs = FFProbe.Analyse(clip);
            var video = theirs.PrimaryVideoStream ?? throw new Xunit.Sdk.XunitException($"{clip}: FFMpegCore found no video stream");
            string name = Path.GetFileName(clip);
            int rotation = ((int)Math.Round(video.Rotation / 90.0) % 4 + 4) % 4 * 90;
            rotations.Add(ours.Rotation);
            Assert.True(rotation == ours.Rotation, $"{name}: rotation {ours.Rotation}, FFMpegCore {video.Rotation}");
            var (w, h) = rotation % 180 == 0 ? (video.Width, video.Height) : (video.Height, video.Width);
            Assert.True((w, h) == (ours.Width, ours.Height), $"{name}: {ours.Width}×{ours.Height}, FFMpegCore {w}×{h}");
            Assert.True(Rational.TryParse(ours.FrameRate, out var num, out var den), $"{name}: frame rate {ours.FrameRate}");
            Assert.True(Math.Abs((double)num / den - video.AverageFrameRate) < 1e-9, $"{name}: {ours.FrameRate} fps, FFMpegCore {video.AverageFrameRate}");
            Assert.Equal(theirs.AudioStreams.Select(s => s.CodecName), ours.AudioCodecs);
            Assert.Equal(theirs.SubtitleStreams.Select(s => s.CodecName), ours.SubtitleCodecs);
            // FFMpegCore keeps milliseconds of ffprobe's sexagesimal times.
            Assert.True(ours.DurationSeconds is { } d && Math.Abs(d - theirs.Format.Duration.TotalSeconds) < 1e-3,
                $"{name}: lasts {ours.DurationSeconds} s, FFMpegCore {theirs.Format.Duration.TotalSeconds} s");
            // Matroska records a stream's duration only as a tag, the stream's end, which FFMpegCore reads as its duration
            // (ours is the stream's start and length); MP4 records its length. Where FFMpegCore has none, the tag is read here.
            bool tagged = Path.GetExtension(clip) == ".mkv";
            double videoSeconds = video.Duration > TimeSpan.Zero ? video.Duration.TotalSeconds
                : TimeSpan.Parse(video.Tags!["DURATION"][..12], CultureInfo.InvariantCulture).TotalSeconds;
            double? oursSeconds = tagged ? ours.VideoEndSeconds : ours.VideoDurationSeconds;
            Assert.True(oursSeconds is { } v && Math.Abs(v - videoSeconds) < 1e-3,
                $"{name}: video {(tagged ? "ends at" : "lasts")} {oursSeconds} s, FFMpegCore {videoSeconds} s");
        }
        // The clips cover what the comparison is for: both rotations that swap sizes, audio, subtitles, VFR.
        Assert.Equal(new[] { 0, 270, 0, 0, 90, 0 }, rotations);
    }

    /// <summary>Progress counts a video without a frame count (Matroska) by its own length: audio running on past it counted 30 frames for 15.</summary>
    [Fact]
    public void AVideoShorterThanItsAudioIsCountedByItsOwnLength()
    {
        var dir = TestPaths.NewTempDir();
        var clip = Path.Combine(dir, "short.mkv");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, new[] { "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=1.5", "-f", "lavfi", "-i", "sine=duration=3",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", clip }, ReadOnlyMemory<byte>.Empty, clip);
        var info = VideoFile.Probe(clip);
        Assert.Null(info.FrameCount);
        Assert.True(info.DurationSeconds > 2.9, $"the container lasts {info.DurationSeconds} s");
        Assert.Equal(15, info.EstimatedFrames);
    }
}
