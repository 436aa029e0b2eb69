using Reel.Engine.Tensors;

namespace Reel.Tests.Ops;

/// <summary>The training step's buffer recycling: reuse across scopes, zeroed on reuse, nothing outside a scope.</summary>
public class TensorArenaTests
{
    private static readonly Shape Big = new(1, 4, 128, 128); // 256 KiB: pooled

    [Fact]
    public void ABufferFreedByOneScopeIsReusedZeroedByTheNext()
    {
        var arena = new TensorArena();
        float[] first;
        using (arena.Open())
        {
            var t = new Tensor(Big);
            Array.Fill(t.Data, 7f);
            first = t.Data;
        }
        using (arena.Open())
        {
            var t = new Tensor(Big);
            Assert.Same(first, t.Data);
            Assert.All(t.Data, v => Assert.Equal(0f, v));
            Assert.NotSame(t.Data, new Tensor(Big).Data); // two tensors alive at once get two buffers
        }
    }

    [Fact]
    public void WithoutAnOpenScopeAndForSmallTensorsEveryTensorIsNew()
    {
        var arena = new TensorArena();
        float[] pooled;
        using (arena.Open()) pooled = new Tensor(Big).Data;
        Assert.NotSame(pooled, new Tensor(Big).Data);
        using (arena.Open())
        {
            var small = new Tensor(new Shape(1, 1, 8, 8));
            Array.Fill(small.Data, 1f);
        }
        using (arena.Open()) Assert.All(new Tensor(new Shape(1, 1, 8, 8)).Data, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void OnlyOneScopeIsOpenPerThread()
    {
        var arena = new TensorArena();
        using (arena.Open())
            Assert.Throws<InvalidOperationException>(() => new TensorArena().Open());
        using (arena.Open()) { } // closed properly: opens again
    }
}
