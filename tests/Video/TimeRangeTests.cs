using Reel.Engine;
using Reel.Engine.Video;

namespace Reel.Tests.Video;

/// <summary>--from and --to as a user types them, and the timecode moved to a range's start.</summary>
public class TimeRangeTests
{
    [Theory]
    [InlineData("95.5", 95.5)]
    [InlineData("1:35.5", 95.5)]
    [InlineData("01:01:35.5", 3695.5)]
    [InlineData("0", 0)]
    [InlineData(" 2:00 ", 120)]
    public void TimesAreSecondsOrClockTimes(string text, double seconds)
    {
        var range = TimeRange.Of(text, null)!;
        Assert.Equal(seconds, range.From!.Value.TotalSeconds, 9);
        Assert.Null(range.To);
    }

    [Theory]
    [InlineData("1:75", null, "--from 1:75: give seconds")]
    [InlineData("1:60:00", null, "--from 1:60:00: give seconds")]
    [InlineData("-3", null, "--from -3: give seconds")]
    [InlineData("ten", null, "--from ten: give seconds")]
    [InlineData("\u0661\u0660", null, "--from \u0661\u0660: give seconds")] // Arabic-Indic digits: refused, not a crash
    [InlineData(null, "1,5", "--to 1,5: give seconds")]
    [InlineData("2", "1:00:00:00", "--to 1:00:00:00: give seconds")]
    [InlineData("2", "2.0", "--to 2.0 is not after --from 2")]
    [InlineData("1:00", "59", "--to 59 is not after --from 1:00")]
    [InlineData(null, "0", "--to 0 is not after the start")]
    [InlineData("99999999999999999999", null, "--from 99999999999999999999: more than a year into the film")]
    public void BadTimesAndEmptyRangesAreRefused(string? from, string? to, string said)
    {
        var e = Assert.Throws<UsageException>(() => TimeRange.Of(from, to));
        Assert.StartsWith(said, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ARangeCutsAsFfmpegInputOptionsAndSaysWhatItIs()
    {
        Assert.Null(TimeRange.Of(null, null));
        var range = TimeRange.Of("1:00.25", "75")!;
        Assert.Equal(new[] { "-ss", "60.25", "-to", "75.0" }, range.InputOptions());
        Assert.Equal("from 60.25 s to 75.0 s", range.ToString());
        Assert.Equal(new[] { "-to", "75.0" }, TimeRange.Of(null, "75")!.InputOptions());
        Assert.Equal("from the start to 75.0 s", TimeRange.Of(null, "75")!.ToString());
        // How much of a video it holds: one of 70 s, one of unknown length, open-ended; one starting at 65 s, and one before it.
        Assert.Equal(9.75, range.Length(0, 70)!.Value, 9);
        Assert.Equal(14.75, range.Length(0, null)!.Value, 9);
        Assert.Null(TimeRange.Of("10", null)!.Length(0, null));
        Assert.Equal(10, range.Length(65, 100)!.Value, 9);
        Assert.Equal(0, range.Length(0, 50)!.Value, 9);
    }

    [Theory]
    [InlineData("01:00:00:05", "25", 1.0, "01:00:01:05")]
    [InlineData("01:00:00:05", "25", 1.01, "01:00:01:06")] // the first frame at or after 1.01 s is frame 26
    [InlineData("00:59:59:20", "24000/1001", 0.5, "01:00:00:08")]
    [InlineData("23:59:59:24", "25", 0.04, "00:00:00:00")]
    [InlineData("10:00:00:00", "30", 3600.5, "11:00:00:15")]
    [InlineData("10:00:00:7", "10", 1.0, "10:00:01:07")] // ffmpeg's one digit at 10 fps
    // Drop-frame: the first 2 numbers of each minute (4 at 59.94) are skipped, but not of every tenth minute.
    [InlineData("01:00:00;00", "30000/1001", 1.0, "01:00:01;00")]
    [InlineData("00:59:59;28", "30000/1001", 0.3, "01:00:00;07")]
    [InlineData("00:00:59;29", "30000/1001", 0.0333, "00:01:00;02")]
    [InlineData("00:09:59;29", "30000/1001", 0.0333, "00:10:00;00")]
    [InlineData("00:00:59;59", "60000/1001", 0.0166, "00:01:00;04")]
    [InlineData("00:00:00;00", "30000/1001", 600.6, "00:10:00;18")] // 18000 frames, where ten minutes of drop-frame count 17982
    [InlineData("23:59:59;29", "30000/1001", 0.0333, "00:00:00;00")]
    [InlineData("01:00:00;00", "25", 1.0, null)] // no drop-frame count at 25
    [InlineData("01:00:00:00", "0/0", 1.0, null)]
    public void ATimecodeMovesToTheRangesStartInWholeFrames(string timecode, string rate, double seconds, string? moved) =>
        Assert.Equal(moved, Timecodes.Advance(timecode, rate, TimeSpan.FromSeconds(seconds)));

    [Theory]
    [InlineData("00:59:59;25", "00:59:59:20")]
    [InlineData("01:00:00:15", "01:00:00:12")]
    [InlineData("01:00:00.04", "01:00:00:03")]
    [InlineData("01:00:00:150", null)]
    public void ATelecinedTimecodesFramesAreCountedAtTheFilmsRate(string timecode, string? film) =>
        Assert.Equal(film, Timecodes.ScaleFrames(timecode, 4, 5));
}
