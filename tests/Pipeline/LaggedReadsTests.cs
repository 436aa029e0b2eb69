using Reel.Engine.Pipeline;

namespace Reel.Tests.Pipeline;

/// <summary>Reads handed on one frame late, in order, each once, and given up when a failure stops the frames.</summary>
public class LaggedReadsTests
{
    [Fact]
    public void EachReadIsHandedOnOnceTheNextIsQueuedAndTheLastAtTheEnd()
    {
        var log = new List<string>();
        using (var reads = new LaggedReads<int>(r => log.Add($"wait {r}"), r => log.Add($"free {r}")))
        {
            for (int t = 0; t < 3; t++)
            {
                log.Add($"queue {t}");
                reads.Add(t);
            }
            log.Add("done");
            reads.Finish();
        }
        Assert.Equal(new[] { "queue 0", "queue 1", "wait 0", "free 0", "queue 2", "wait 1", "free 1", "done", "wait 2", "free 2" }, log);
    }

    [Fact]
    public void AFailedWaitFreesItsReadAndDisposingGivesUpTheRest()
    {
        var freed = new List<int>();
        var reads = new LaggedReads<int>(r => throw new InvalidOperationException($"read {r} failed"), freed.Add);
        reads.Add(0);
        var e = Assert.Throws<InvalidOperationException>(() => reads.Add(1));
        Assert.Equal("read 0 failed", e.Message);
        Assert.Equal(new[] { 0 }, freed);
        reads.Dispose();
        Assert.Equal(new[] { 0, 1 }, freed);
        reads.Dispose();
        Assert.Equal(new[] { 0, 1 }, freed);
    }
}
