using Reel.Engine.Tensors;

namespace Reel.Tests.Ops;

/// <summary>The training step's buffer recycling: reuse across scopes, zeroed on reuse unless asked not to, nothing outside a scope.</summary>
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
    public void AnUninitializedTensorReusesItsBufferAsItIsAndIsNewOutsideAScope()
    {
        var arena = new TensorArena();
        using (arena.Open()) Array.Fill(new Tensor(Big).Data, 7f);
        using (arena.Open()) Assert.All(Tensor.Uninitialized(Big).Data, v => Assert.Equal(7f, v));
        Assert.All(Tensor.Uninitialized(Big).Data, v => Assert.Equal(0f, v));
    }

    /// <summary>
    /// The packed weights of ∂L/∂x, read straight from W, against packing an explicitly rotated and
    /// transposed copy, in an arena whose buffers are dirty: a partial last panel must still be zero-padded.
    /// </summary>
    [Theory]
    [InlineData(64, 48, 9)]   // Cin a multiple of both panel heights (8 and 6): no padding
    [InlineData(64, 37, 9)]   // a partial last panel
    [InlineData(512, 37, 1)]  // 1×1 (all large enough to come from the arena)
    public void TransposedFlippedPackingEqualsPackingTheFlippedCopy(int cout, int cin, int taps)
    {
        var rng = new Random(cout * cin);
        var w = new float[cout * cin * taps];
        for (int i = 0; i < w.Length; i++) w[i] = (float)rng.NextDouble();
        var flipped = new float[w.Length];
        for (int co = 0; co < cout; co++)
        for (int ci = 0; ci < cin; ci++)
        for (int t = 0; t < taps; t++)
            flipped[(ci * cout + co) * taps + taps - 1 - t] = w[(co * cin + ci) * taps + t];
        var expected = Reel.Engine.Backends.Cpu.Sgemm.PackA(flipped, cin, cout * taps);
        var arena = new TensorArena();
        for (int round = 0; round < 2; round++)
            using (arena.Open())
            {
                var packed = Reel.Engine.Backends.Cpu.Sgemm.PackTransposedFlipped(w, cout, cin, taps);
                Assert.Equal(expected, packed.Take(expected.Length));
                Array.Fill(packed, float.NaN); // what the next round's buffer holds
            }
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
