using Reel.Engine;
using Reel.Engine.Pipeline;

namespace Reel.Tests.Pipeline;

/// <summary>
/// Which shots a shard gets: every shot in exactly one shard, contiguous runs balanced by frames
/// within a shot, nested shards that are exactly their parent's shots, and the shard a scheduler's
/// environment names (Slurm array tasks, Kubernetes completion indexes).
/// </summary>
public class ShardTests
{
    /// <summary>A plan of shots of the given lengths (times and hashes do not matter here).</summary>
    private static ShotPlan Plan(params int[] lengths)
    {
        var shots = new List<PlannedShot>();
        int first = 0;
        foreach (var n in lengths)
        {
            shots.Add(new PlannedShot(shots.Count, first, first + n - 1, first, first + n - 1, new string('0', 64)));
            first += n;
        }
        return new ShotPlan(ShotPlan.CurrentVersion, "/film.mkv", first, new Dictionary<string, string>(), Array.Empty<string>(), shots);
    }

    [Fact]
    public void EveryShotGoesToOneShardAsContiguousRunsBalancedByFrames()
    {
        var rng = new Random(21);
        var lengths = Enumerable.Range(0, 200).Select(_ => rng.Next(1, 301)).ToArray();
        var plan = Plan(lengths);
        foreach (int n in new[] { 1, 2, 3, 7, 16, 64 })
        {
            var parts = Enumerable.Range(0, n).Select(i => new Shard(i, n).ShotsOf(plan)).ToList();
            Assert.Equal(plan.Shots.Select(s => s.Index), parts.SelectMany(p => p).Select(s => s.Index));
            foreach (var part in parts.Where(p => p.Count > 0))
            {
                Assert.Equal(part[^1].Index - part[0].Index + 1, part.Count);
                // Within one longest shot of the ideal share, however the lengths fall.
                double share = part.Sum(s => s.Frames), ideal = (double)plan.Frames / n;
                Assert.True(Math.Abs(share - ideal) <= 300, $"{n} shards: a share of {share} frames, ideal {ideal:F0}");
            }
        }
    }

    [Fact]
    public void ModuloWouldNotBalanceWhatFramesDo()
    {
        // Long and short shots alternating: I mod 2 would give one shard every long shot.
        var plan = Plan(Enumerable.Range(0, 20).Select(k => k % 2 == 0 ? 300 : 10).ToArray());
        var (a, b) = (new Shard(0, 2).ShotsOf(plan).Sum(s => s.Frames), new Shard(1, 2).ShotsOf(plan).Sum(s => s.Frames));
        Assert.True(Math.Abs(a - b) <= 300, $"{a} vs {b} frames");
    }

    [Fact]
    public void PartsOfAShardAreExactlyItsShots()
    {
        var rng = new Random(7);
        var plan = Plan(Enumerable.Range(0, 97).Select(_ => rng.Next(1, 120)).ToArray());
        foreach (var (n, g) in new[] { (1, 2), (3, 2), (4, 8), (5, 3) })
        for (int i = 0; i < n; i++)
        {
            var shard = new Shard(i, n);
            var parts = Enumerable.Range(0, g).SelectMany(p => shard.Part(p, g).ShotsOf(plan)).Select(s => s.Index);
            Assert.Equal(shard.ShotsOf(plan).Select(s => s.Index), parts);
        }
    }

    [Fact]
    public void MoreShardsThanShotsLeavesSomeEmpty()
    {
        var plan = Plan(5, 5);
        var counts = Enumerable.Range(0, 5).Select(i => new Shard(i, 5).ShotsOf(plan).Count).ToList();
        Assert.Equal(2, counts.Sum());
        Assert.Contains(0, counts);
    }

    [Theory]
    [InlineData("0/1", 0, 1)]
    [InlineData("2/3", 2, 3)]
    public void ParsesIOfN(string text, int index, int count) => Assert.Equal(new Shard(index, count), Shard.Parse(text));

    [Theory]
    [InlineData("3/3")]
    [InlineData("-1/3")]
    [InlineData("1/0")]
    [InlineData("1")]
    [InlineData("a/b")]
    public void RefusesWhatIsNotAShard(string text) => Assert.Contains("--shard takes I/N", Assert.Throws<UsageException>(() => Shard.Parse(text)).Message);

    private static Func<string, string?> Env(params (string Name, string Value)[] vars) =>
        name => vars.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void SlurmTasksAreShardsOfTheGivenCountOrOfAnArrayFromZero()
    {
        Assert.Equal(new Shard(3, 8), Shard.FromEnvironment(Env(("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "7"), ("SLURM_ARRAY_TASK_COUNT", "8")), null));
        // Failed tasks resubmitted alone (--array=3,7): their shards are still of the first array's 8.
        Assert.Equal(new Shard(7, 8), Shard.FromEnvironment(Env(("SLURM_ARRAY_TASK_ID", "7"), ("SLURM_ARRAY_TASK_MIN", "3"),
            ("SLURM_ARRAY_TASK_MAX", "7"), ("SLURM_ARRAY_TASK_COUNT", "2")), 8));
        // Without the count, an array that is not 0…N−1 (here --array=1-8) cannot say which shards it holds.
        Assert.Contains("give --shards N", Assert.Throws<ReelException>(() => Shard.FromEnvironment(Env(("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_MAX", "8"), ("SLURM_ARRAY_TASK_COUNT", "8")), null)).Message);
        Assert.Throws<ReelException>(() => Shard.FromEnvironment(Env(("SLURM_ARRAY_TASK_ID", "8")), 8));
        Assert.Throws<ReelException>(() => Shard.FromEnvironment(Env(("SLURM_ARRAY_TASK_ID", "2")), null));
        // A task past the count with no MIN or MAX said (a hand-set environment) was "shard 3/2: no shots".
        Assert.Contains("not below SLURM_ARRAY_TASK_COUNT 2", Assert.Throws<ReelException>(() => Shard.FromEnvironment(Env(("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "2")), null)).Message);
    }

    [Fact]
    public void IndexedJobsNeedTheirCompletions()
    {
        Assert.Equal(new Shard(4, 6), Shard.FromEnvironment(Env(("JOB_COMPLETION_INDEX", "4")), 6));
        Assert.Contains("--shards N", Assert.Throws<ReelException>(() => Shard.FromEnvironment(Env(("JOB_COMPLETION_INDEX", "4")), null)).Message);
        Assert.Throws<ReelException>(() => Shard.FromEnvironment(Env(("JOB_COMPLETION_INDEX", "6")), 6));
        Assert.Null(Shard.FromEnvironment(Env(), 6));
    }
}
