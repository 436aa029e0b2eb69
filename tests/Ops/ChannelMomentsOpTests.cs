using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Tests.Ops;

/// <summary>The reference's channel moments on values worked by hand (the other backends are held to it by the op sweep).</summary>
public class ChannelMomentsOpTests
{
    [Fact]
    public void MeansAndVariancesRunOverFramesAndPixelsPerChannel()
    {
        // Two frames of two 2×1 channels: channel 0 holds 1, 2 | 3, 4; channel 1 holds 40 + 1/64, 40 − 1/64 | 40, 40.
        const float d = 1f / 64;
        var x = new Tensor(new Shape(2, 2, 2, 1), new[] { 1f, 2f, 40 + d, 40 - d, 3f, 4f, 40f, 40f });
        var y = ReferenceBackend.Instance.Execute(new ChannelMomentsOp(), x);
        Assert.Equal(new Shape(2, 2), y.Shape);
        Assert.Equal(2.5f, y.Data[0]);
        Assert.Equal(40f, y.Data[1]);
        Assert.Equal(1.25f, y.Data[2]);
        Assert.Equal(d * d / 2, y.Data[3], 1e-9f);
    }
}
