using System.Runtime.Intrinsics;
using Reel.Engine.Backends.Cpu;

namespace Reel.Tests.Ops;

/// <summary>
/// The width-generic kernels run at both widths here: where the CPU lacks AVX-512, .NET emulates
/// Vector512, and these pin that its fused multiply-add still rounds once, so the emulated wide
/// kernels test the same arithmetic the hardware would do.
/// </summary>
public class SimdWidthTests
{
    [Fact]
    public void FmaPeakLoopIsOneFmaChainAtBothWidths()
    {
        const long rounds = 1000;
        // The loop's twelve chains, each c ← c·0.9999 + 1e-7 rounded once, summed left to right.
        float chain = 1f;
        for (long i = 0; i < rounds; i++) chain = MathF.FusedMultiplyAdd(chain, 0.9999f, 1e-7f);
        float sum = chain;
        for (int c = 1; c < 12; c++) sum += chain;
        float narrow = FmaPeak.Loop<Avx2Width, Vector256<float>>(rounds);
        float wide = FmaPeak.Loop<Avx512Width, Vector512<float>>(rounds);
        Assert.Equal(BitConverter.SingleToInt32Bits(sum), BitConverter.SingleToInt32Bits(narrow));
        Assert.Equal(BitConverter.SingleToInt32Bits(sum), BitConverter.SingleToInt32Bits(wide));
    }
}
