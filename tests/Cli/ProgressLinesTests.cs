using System.Text.Json;
using Reel.Cli.Commands;
using Reel.Engine.Pipeline;

namespace Reel.Tests.Cli;

/// <summary>The plain and JSON progress lines on scripted events: their format, and how often they come.</summary>
public class ProgressLinesTests
{
    private static RestoreProgress At(string stage, long done, long total, double seconds, double? rate = null, double? eta = null) =>
        new(stage, done, total, "", TimeSpan.FromSeconds(seconds)) { Rate = rate, EtaSeconds = eta };

    /// <summary>
    /// About two lines a second per stage, in time order: a stage's held line is written before a later line of
    /// another, so its spacing may fall short of half a second by the events' own spacing, never by more.
    /// </summary>
    [Fact]
    public void JsonLinesComeAboutTwiceASecondPerStageInTimeOrderAndEndOnTheLastFrame()
    {
        var output = new StringWriter();
        var lines = new ProgressLines(json: true, output);
        // 200 frames in 5 s, processed and encoded in turn, then the join.
        for (int f = 1; f <= 200; f++)
        {
            lines.Report(At(RestoreStage.Process, f, 250, f * 0.025, rate: 40, eta: (250 - f) * 0.025));
            lines.Report(At(RestoreStage.Encode, f, 250, f * 0.025 + 0.001, rate: 1000, eta: (250 - f) * 0.025));
        }
        lines.Report(At(RestoreStage.Join, 200, 200, 5.1));
        var parsed = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        foreach (var stage in new[] { RestoreStage.Process, RestoreStage.Encode })
        {
            var mine = parsed.Where(e => e.GetProperty("stage").GetString() == stage).ToList();
            // One when the stage starts, one per half second, and the last frame, held back until the join.
            Assert.InRange(mine.Count, 10, 12);
            Assert.Equal(200, mine[^1].GetProperty("done").GetInt64());
            var times = mine.Select(e => e.GetProperty("elapsed_s").GetDouble()).ToList();
            for (int i = 1; i < times.Count - 1; i++) Assert.True(times[i] - times[i - 1] >= 0.5 - 0.025 - 1e-9, $"{stage}: lines at {times[i - 1]} and {times[i]} s");
        }
        var all = parsed.Select(e => e.GetProperty("elapsed_s").GetDouble()).ToList();
        Assert.Equal(all.Order(), all);
        Assert.Equal("join", parsed[^1].GetProperty("stage").GetString());
    }

    /// <summary>
    /// A stage that has ended shows its last state before the next stage's later lines: an interrupted run's last
    /// line was the process line held back since 1.4 s, after training lines of 9 s, so elapsed_s ran backwards.
    /// </summary>
    [Fact]
    public void AHeldLineOfAStageThatEndedComesInTimeOrder()
    {
        var output = new StringWriter();
        var lines = new ProgressLines(json: true, output);
        lines.Report(At(RestoreStage.Process, 1, 8, 1.0, rate: 1));
        lines.Report(At(RestoreStage.Process, 4, 8, 1.4, rate: 1));
        for (int step = 1; step <= 20; step++) lines.Report(At(RestoreStage.Stabilize, step / 5, 8, 2 + 0.4 * step, rate: 1) with { Epoch = 1, Epochs = 5 });
        lines.Flush();
        var parsed = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var times = parsed.Select(e => e.GetProperty("elapsed_s").GetDouble()).ToList();
        Assert.Equal(times.Order(), times);
        var process = parsed.Where(e => e.GetProperty("stage").GetString() == RestoreStage.Process).ToList();
        Assert.Equal(4, process[^1].GetProperty("done").GetInt64());
        Assert.Equal(RestoreStage.Stabilize, parsed[^1].GetProperty("stage").GetString());
    }

    /// <summary>
    /// Every saved piece is written, however close to the one before (a worker saving two short shots within half a second
    /// reported one), and a held encode line comes before the saved and process lines after it, not after them.
    /// </summary>
    [Fact]
    public void EverySavedPieceIsWrittenAndAHeldLineComesBeforeLaterOnes()
    {
        var output = new StringWriter();
        var lines = new ProgressLines(json: true, output);
        lines.Report(At(RestoreStage.Encode, 1, 30, 17.0, rate: 10));
        lines.Report(At(RestoreStage.Encode, 2, 30, 17.425, rate: 10));
        lines.Report(At(RestoreStage.Saved, 10, 30, 17.631) with { Shot = 1 });
        lines.Report(At(RestoreStage.Saved, 20, 30, 17.7) with { Shot = 2 });
        lines.Report(At(RestoreStage.Process, 11, 30, 17.838, rate: 10));
        lines.Flush();
        var parsed = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(new[] { 1, 2 }, parsed.Where(e => e.GetProperty("stage").GetString() == RestoreStage.Saved).Select(e => e.GetProperty("shot").GetInt32()));
        Assert.Equal(new[] { 17.0, 17.425, 17.631, 17.7, 17.838 }, parsed.Select(e => e.GetProperty("elapsed_s").GetDouble()));
    }

    [Fact]
    public void EachShotsLastTrainingLineIsWrittenBeforeTheNextShotsFirst()
    {
        var output = new StringWriter();
        var lines = new ProgressLines(json: true, output);
        // Two shots of 3 frames, 2 epochs each, a step every 0.05 s: shot 1's last step falls inside the half second after its first line.
        for (int shot = 1; shot <= 2; shot++)
        for (int step = 1; step <= 6; step++)
            lines.Report(At(RestoreStage.Stabilize, 3 * (shot - 1) + step / 2, 6, 0.3 * (shot - 1) + 0.05 * step, rate: 1, eta: 1) with { Shot = shot, Epoch = (step + 2) / 3, Epochs = 2, EndsShot = step == 6 });
        lines.Flush();
        var parsed = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var ends = parsed.Select((e, i) => (e, i)).Where(x => x.e.GetProperty("shot").GetInt32() == 1).ToList();
        Assert.Equal(3, ends[^1].e.GetProperty("done").GetInt64());
        Assert.Equal(2, ends[^1].e.GetProperty("epoch").GetInt32());
        Assert.True(parsed.Skip(ends[^1].i + 1).All(e => e.GetProperty("shot").GetInt32() == 2), string.Join('\n', parsed));
        Assert.Equal(6, parsed[^1].GetProperty("done").GetInt64());
    }

    [Fact]
    public void JsonLineHasEveryFieldWithNullsWhereTheyDoNotApply()
    {
        var prior = new RestoreProgress(RestoreStage.Stabilize, 3, 24, "frames 0–23", TimeSpan.FromSeconds(70.25))
            { Rate = 1 / 82.0, EtaSeconds = 1805.04, Shot = 1, Epoch = 3, Epochs = 50, Loss = 0.012345678 };
        var e = JsonDocument.Parse(ProgressLines.Json(prior)).RootElement;
        Assert.Equal(new[] { "stage", "done", "total", "rate", "eta_s", "shot", "epoch", "epochs", "loss", "elapsed_s", "detail" },
            e.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("stabilize", 3L, 24L, 1, 3, 50), (e.GetProperty("stage").GetString(), e.GetProperty("done").GetInt64(),
            e.GetProperty("total").GetInt64(), e.GetProperty("shot").GetInt32(), e.GetProperty("epoch").GetInt32(), e.GetProperty("epochs").GetInt32()));
        Assert.Equal(1 / 82.0, e.GetProperty("rate").GetDouble(), 6);
        Assert.Equal(1805.0, e.GetProperty("eta_s").GetDouble());
        Assert.Equal(0.0123457, e.GetProperty("loss").GetDouble());
        Assert.Equal("frames 0–23", e.GetProperty("detail").GetString());

        var unknown = JsonDocument.Parse(ProgressLines.Json(At(RestoreStage.Process, 1, 0, 1))).RootElement;
        foreach (var name in new[] { "total", "rate", "eta_s", "shot", "epoch", "epochs", "loss" })
            Assert.Equal(JsonValueKind.Null, unknown.GetProperty(name).ValueKind);
    }

    [Fact]
    public void PlainLineGivesSecondsPerFrameBelowOneFpsAndTheEta()
    {
        Assert.Equal("process: 6/24 frames, 4.00 s/frame, elapsed 00:00:25, ETA unknown",
            ProgressLines.Plain(At(RestoreStage.Process, 6, 24, 25.4, rate: 0.25)));
        Assert.Equal("encode: 12/? frames, 31.25 fps, elapsed 26:00:01, ETA 01:00:00",
            ProgressLines.Plain(At(RestoreStage.Encode, 12, 0, 26 * 3600 + 1, rate: 31.25, eta: 3600.2)));
        var prior = new RestoreProgress(RestoreStage.Stabilize, 3, 24, "frames 0–23", TimeSpan.FromSeconds(70))
            { Rate = 1 / 82.0, EtaSeconds = 1805, Shot = 1, Epoch = 3, Epochs = 50, Loss = 0.0123 };
        Assert.Equal("stabilize: 3/24 frames, 82.00 s/frame (1.64 s/frame-epoch), elapsed 00:01:10, ETA 00:30:05, shot 1, epoch 3/50, loss 0.0123 — frames 0–23",
            ProgressLines.Plain(prior));
    }

    [Fact]
    public void PlainLinesComeAtEachTenthAndAtLeastOnceAMinute()
    {
        var output = new StringWriter();
        var lines = new ProgressLines(json: false, output);
        // 10,000 training steps of 0.5 s over 100 frames: a tenth every 500 s.
        for (int step = 1; step <= 10_000; step++)
            lines.Report(At(RestoreStage.Stabilize, step / 100, 100, step * 0.5, rate: 0.02));
        lines.Flush();
        var shown = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("stabilize: 0/100 frames", shown[0]);
        Assert.StartsWith("stabilize: 100/100 frames", shown[^1]);
        var times = shown.Select(l => TimeSpan.Parse(l.Split("elapsed ")[1][..8], System.Globalization.CultureInfo.InvariantCulture).TotalSeconds).ToList();
        for (int i = 1; i < times.Count; i++) Assert.InRange(times[i] - times[i - 1], 0.5, 60);
        // 5,000 s at one line a minute, with the tenths falling between.
        Assert.InRange(shown.Length, 84, 95);
        foreach (var tenth in new[] { "10/100", "50/100", "90/100" }) Assert.Contains(shown, l => l.StartsWith($"stabilize: {tenth} frames"));
    }
}
