using System.Text.Json;
using Reel.Engine.Pipeline;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>
/// `reel restore run --devices … --progress json` passes its workers' JSON lines through with the
/// worker's device added, as the plain lines are prefixed with it: a scheduler reading one stream
/// tells the workers apart. A run without --devices writes the lines as before.
/// </summary>
public class DevicesProgressTests
{
    /// <summary>Every field of a progress line, in the order ProgressLines writes them.</summary>
    private static readonly string[] Fields = { "stage", "done", "total", "rate", "eta_s", "shot", "epoch", "epochs", "loss", "elapsed_s", "detail" };

    /// <summary>The end line's: every field, then the exit code.</summary>
    private static readonly string[] Ended = [.. Fields, "exit"];

    private static List<JsonElement> JsonLines(string stderr) =>
        stderr.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    [Fact]
    public void EachWorkersJsonLineSaysItsDeviceLast()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeShots(dir, framesPerShot: 2);
        var work = Path.Combine(dir, "work");
        ReelProcess.PlanWithoutNetworks(input, work);

        var r = ReelProcess.Run("restore", "run", work, "--shard", "0/1", "--devices", "0,1", "--device", "cpu", "--progress", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = JsonLines(r.Stderr);
        // One clock, the run's, for its lines and its workers': each worker's own started when it did.
        var elapsed = lines.Select(l => l.GetProperty("elapsed_s").GetDouble()).ToList();
        Assert.True(elapsed.Zip(elapsed.Skip(1)).All(t => t.First <= t.Second), $"elapsed_s ran backwards: {string.Join(", ", elapsed)}");
        // The run's own end line last, and each worker's before it, under its device.
        Assert.Equal(Ended, lines[^1].EnumerateObject().Select(p => p.Name));
        lines.RemoveAt(lines.Count - 1);
        // The run's own note first, a JSON line as the workers' are (it came as plain text), with no device: it is no worker's.
        Assert.Equal(Fields, lines[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(("note", "--device cpu: the 2 workers share this machine's CPU cores, no faster together than one alone"),
            (lines[0].GetProperty("stage").GetString(), lines[0].GetProperty("detail").GetString()));
        lines.RemoveAt(0);
        Assert.DoesNotContain(r.Stderr.Split('\n'), l => l.StartsWith("note:", StringComparison.Ordinal));
        Assert.Equal(2, lines.Count(l => l.GetProperty("stage").GetString() == "end"));
        Assert.All(lines, l => Assert.Equal((l.GetProperty("stage").GetString() == "end" ? Ended : Fields).Append("device"), l.EnumerateObject().Select(p => p.Name)));
        Assert.All(lines, l => Assert.Contains(l.GetProperty("device").GetString(), new[] { "0", "1" }));
        // Each worker's own note, under its own device: worker g of 2 runs part g of shard 0/1, shard g/2.
        foreach (var device in new[] { "0", "1" })
            Assert.Contains(lines, l => l.GetProperty("device").GetString() == device && l.GetProperty("stage").GetString() == "note"
                                        && l.GetProperty("detail").GetString()!.StartsWith($"shard {device}/2:"));
        // The same lines as a worker writes them, the device aside: every piece saved once, by one worker.
        var saved = lines.Where(l => l.GetProperty("stage").GetString() == "saved").Select(l => l.GetProperty("shot").GetInt32()).Order();
        Assert.Equal(Enumerable.Range(1, ShotPlan.Load(work).Shots.Count), saved);

        // One process: the lines as they always were, no device.
        var single = ReelProcess.Run("restore", "run", work, "--shard", "0/1", "--device", "cpu", "--progress", "json");
        Assert.True(single.ExitCode == 0, single.Stderr);
        var own = JsonLines(single.Stderr);
        Assert.Equal(Ended, own[^1].EnumerateObject().Select(p => p.Name));
        own.RemoveAt(own.Count - 1);
        Assert.NotEmpty(own);
        Assert.All(own, l => Assert.Equal(Fields, l.EnumerateObject().Select(p => p.Name)));
    }
}
