using Reel.Engine.Video;

namespace Reel.Tests.Video;

/// <summary>
/// The line of ffmpeg's stderr an error quotes: the cause, not the lines ffmpeg prints after every
/// failure of a kind. Logs as ffmpeg 5.1 (this machine's) and 7 print them.
/// </summary>
public class FfmpegReasonTests
{
    [Theory]
    // A codec the container refuses (5.1).
    [InlineData("""
        [webm @ 0x55b2e02af840] Only VP8 or VP9 or AV1 video and Vorbis or Opus audio and WebVTT subtitles are supported for WebM.
        Could not write header for output file #0 (incorrect codec parameters ?): Invalid argument
        Error initializing output stream 0:0 --
        """, "Only VP8 or VP9 or AV1 video and Vorbis or Opus audio and WebVTT subtitles are supported for WebM.")]
    // An encoder that cannot take the size (5.1): the consequence and its explanation on one line.
    [InlineData("""
        [libx264 @ 0x564532f02980] width not divisible by 2 (63x64)
        Error initializing output stream 0:0 -- Error while opening encoder for output stream #0:0 - maybe incorrect parameters such as bit_rate, rate, width or height
        """, "width not divisible by 2 (63x64)")]
    // The same refusal as ffmpeg 7 words what follows it.
    [InlineData("""
        [webm @ 0x5581] Only VP8 or VP9 or AV1 video and Vorbis or Opus audio and WebVTT subtitles are supported for WebM.
        [out#0/webm @ 0x5580] Could not write header (incorrect codec parameters ?): Invalid argument
        [vf#0:0 @ 0x5582] Error sending frames to consumers: Invalid argument
        [vf#0:0 @ 0x5582] Task finished with error code: -22 (Invalid argument)
        [vf#0:0 @ 0x5582] Terminating thread with return code -22 (Invalid argument)
        [out#0/webm @ 0x5580] Nothing was written into output file, because at least one of its streams received no packets.
        Conversion failed!
        """, "Only VP8 or VP9 or AV1 video and Vorbis or Opus audio and WebVTT subtitles are supported for WebM.")]
    // libx265 writes its own summary to stderr after ffmpeg's consequences (5.1).
    [InlineData("""
        x265 [info]: tools: b-intra strong-intra-smoothing deblock sao
        [ipod @ 0x55c3] Could not find tag for codec hevc in stream #0, codec not currently supported in container
        Could not write header for output file #0 (incorrect codec parameters ?): Invalid argument
        Error initializing output stream 0:0 --

        encoded 0 frames
        """, "Could not find tag for codec hevc in stream #0, codec not currently supported in container")]
    // ... and after a failure past its first frames.
    [InlineData("""
        [mp4 @ 0x1] Error writing trailer: Invalid argument
        encoded 12 frames in 0.51s (23.53 fps), 12.00 kb/s, Avg QP:30.04
        """, "Error writing trailer: Invalid argument")]
    // One line, the cause: kept.
    [InlineData("Unknown encoder 'libx246'", "Unknown encoder 'libx246'")]
    // A full disk still wins over anything after it.
    [InlineData("""
        [mp4 @ 0x1] Error writing trailer: No space left on device
        Conversion failed!
        """, "Error writing trailer: No space left on device")]
    public void QuotesTheCauseNotWhatFollowsIt(string stderr, string expected) => Assert.Equal(expected, Ffmpeg.Reason(stderr));

    [Fact]
    public void OnlyConsequencesLeaveTheLastOfThem() =>
        Assert.Equal("Conversion failed!", Ffmpeg.Reason("Error initializing output stream 0:0 --\nConversion failed!\n"));
}
