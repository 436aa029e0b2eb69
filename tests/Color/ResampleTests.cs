using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Checkpoints;
using Reel.Engine.Ops;
using Reel.Tests.Support;

namespace Reel.Tests.Color;

public class ResampleTests
{
    // PIL computes float ('F') resizes in double with the same antialiased bicubic kernel.
    [Theory]
    [InlineData(0)] [InlineData(1)] [InlineData(2)] [InlineData(3)]
    public void BicubicMatchesPil(int index)
    {
        var x = Npy.Read(Golden.Colorizer.File($"resize_{index}_x.npy"));
        var expected = Npy.Read(Golden.Colorizer.File($"resize_{index}_y.npy"));
        var y = FastBackend.Instance.Execute(new ResizeBicubicOp(expected.Shape.H, expected.Shape.W), x);
        Tolerance.AssertClose(expected, y, 1e-5, 1e-5, $"bicubic {x.Shape} → {y.Shape} vs PIL");
    }
}
