using System.Text.RegularExpressions;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>
/// The progress bar as a terminal shows it (a pty, as an ssh session or a terminal emulator gives): on the usual 80 columns
/// every row keeps its bar and its times, and `restore run --devices` shows each worker's stages as bars of their own.
/// </summary>
public partial class ProgressBarTests
{
    /// <summary>A row's end: its percentage (or ? where the length is unknown), the time elapsed and the time left, each whole.</summary>
    [GeneratedRegex(@"(\d+%|\?) \d\d:\d\d:\d\d (\d\d:\d\d:\d\d|--:--:--)$")]
    private static partial Regex RowEnd();

    /// <summary>Colours, cursor moves, the cursor's hiding and the keypad's mode: the redraws, not what is shown.</summary>
    [GeneratedRegex(@"\x1b(\[[0-9;?]*[A-Za-z]|[=>])")]
    private static partial Regex Escapes();

    /// <summary>A move of the cursor up, which starts each redraw of the bars.</summary>
    [GeneratedRegex(@"\x1b\[\d+A")]
    private static partial Regex CursorUp();

    /// <summary>The rows of the bars' last redraw: after its move up to the first row, before the cursor is shown again as the display ends.</summary>
    private static List<string> LastRedraw(string shown)
    {
        int end = shown.LastIndexOf("\x1b[?25h", StringComparison.Ordinal);
        Assert.True(end >= 0, $"the display never ended:\n{shown}");
        var ups = CursorUp().Matches(shown[..end]);
        return Lines(shown[(ups.Count > 0 ? ups[^1].Index : 0)..end]);
    }

    /// <summary>The terminal's lines, each redraw's rows among them (a redraw returns to a row's start).</summary>
    private static List<string> Lines(string shown) => Escapes().Replace(shown, "").Split('\n', '\r').Select(l => l.Trim()).ToList();

    [Fact]
    public void OnAnEightyColumnTerminalEveryRowKeepsItsBarAndTimes()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, audio: false);
        var output = Path.Combine(dir, "out.mp4");
        using var terminal = Pty.Open();
        using var p = terminal.Start(dir, 80, "restore", input, output, "--no-denoise", "--no-colorize", "--epochs", "2", "--no-irt");
        var shown = terminal.ReadUntil("restored ", TimeSpan.FromMinutes(3));
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(1)) && p.ExitCode == 0, shown);
        var lines = Lines(shown);
        // The training's row is the longest (70 characters of words): Spectre's own description column crushed the bar and
        // the times to one or two characters a line to fit it.
        Assert.Contains(lines, l => l.Contains("stabilize shot 1 epoch") && RowEnd().IsMatch(l));
        Assert.Contains(lines, l => l.Contains("encode shot 1") && RowEnd().IsMatch(l));
    }

    [Fact]
    public void DevicesShowEachWorkersStagesAsBarsUnderItsDevice()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeShots(dir, framesPerShot: 2);
        var work = Path.Combine(dir, "work");
        ReelProcess.PlanWithoutNetworks(input, work);
        using var terminal = Pty.Open();
        using var p = terminal.Start(dir, 150, "restore", "run", work, "--devices", "0,1", "--device", "cpu");
        var shown = terminal.ReadUntil("is done on devices", TimeSpan.FromMinutes(3));
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(1)) && p.ExitCode == 0, shown);
        var lines = Lines(shown);
        // Each device's stages on bars of their own: in the last redraw, both devices' rows of each stage at once.
        var last = LastRedraw(shown);
        foreach (var device in new[] { "0", "1" })
        {
            foreach (var stage in new[] { "process", "encode", "saved" })
                Assert.Contains(last, l => l.StartsWith($"[device {device}] {stage} shot ", StringComparison.Ordinal) && RowEnd().IsMatch(l));
            // Each worker's notes above the bars, under its device.
            Assert.Contains(lines, l => l.StartsWith($"[device {device}] note: shard {device}/2:", StringComparison.Ordinal));
        }
        // A line above the bars clears the rest of its row: written over the bars' old rows, a short one left a row's end on
        // screen ("make the rest      unknown").
        Assert.Contains("already done\u001b[K", shown);
        // Not the workers' plain log lines, which a terminal got before.
        Assert.DoesNotContain(lines, l => l.Contains("] process: ", StringComparison.Ordinal));
    }
}
