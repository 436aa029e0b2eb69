using Reel.Engine.Pipeline;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>
/// What a shard worker says and refuses: its note names one shot as "shot 2", not "shots 2–2",
/// and --shard I/N with --shards M is refused, not M silently ignored.
/// </summary>
public class ShardNotesTests
{
    /// <summary>A planned work folder of a few two-frame shots, every network off.</summary>
    private static string Plan(string dir)
    {
        var input = Media.MakeShots(dir, framesPerShot: 2);
        var work = Path.Combine(dir, "work");
        ReelProcess.PlanWithoutNetworks(input, work);
        return work;
    }

    [Fact]
    public void AShardOfOneShotSaysShotAndOfSeveralShots()
    {
        var work = Plan(TestPaths.NewTempDir());
        var plan = ShotPlan.Load(work);
        Assert.True(plan.Shots.Count >= 3, $"the clip should cut into 3 shots or more, the plan has {plan.Shots.Count}");
        // As many shards as shots: shard 0 holds the first shot alone, shard 0 of 1 every shot.
        var one = new Shard(0, plan.Shots.Count);
        var first = Assert.Single(one.ShotsOf(plan));
        var r = ReelProcess.Run("restore", "run", work, "--shard", one.ToString(), "--device", "cpu", "--progress", "plain");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"note: shard {one}: shot {first.Number} (frames {first.First}–{first.Last}), 0 of 1 already done", r.Stderr);
        Assert.DoesNotContain("shots", r.Stderr.Split('\n').Single(l => l.StartsWith("note: shard ")));

        var all = ReelProcess.Run("restore", "run", work, "--shard", "0/1", "--device", "cpu", "--progress", "plain");
        Assert.True(all.ExitCode == 0, all.Stderr);
        Assert.Contains($"note: shard 0/1: shots 1–{plan.Shots.Count} (frames 0–{plan.Frames - 1}), 1 of {plan.Shots.Count} already done", all.Stderr);
    }

    /// <summary>A shard of one one-frame shot says "frame 0", not "frames 0–0".</summary>
    [Fact]
    public void AOneFrameShardSaysFrame()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeShots(dir, framesPerShot: 1);
        var work = Path.Combine(dir, "work");
        ReelProcess.PlanWithoutNetworks(input, work);
        var plan = ShotPlan.Load(work);
        Assert.Equal(0, plan.Shots[0].Last);
        var r = ReelProcess.Run("restore", "run", work, "--shard", new Shard(0, plan.Shots.Count).ToString(), "--device", "cpu", "--progress", "plain");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"note: shard 0/{plan.Shots.Count}: shot 1 (frame 0), 0 of 1 already done", r.Stderr);
    }

    [Fact]
    public void ShardWithShardsIsRefused()
    {
        var work = Plan(TestPaths.NewTempDir());
        var r = ReelProcess.Run("restore", "run", work, "--shard", "1/2", "--shards", "3", "--device", "cpu", "--no-progress");
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("reel: error: --shard 1/2 ", line);
        Assert.Contains("--shards 3", line);
        Assert.Empty(Directory.GetFiles(work, "shot-*"));
    }
}
