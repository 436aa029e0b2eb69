using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using Reel.Engine.Training;

namespace Reel.Tests.Ops;

/// <summary>
/// The fast path's prior loss decides which head trains a pixel exactly as the reference does, so
/// its gradient is the reference's bit for bit, whole four-pixel blocks and leftover columns alike;
/// only the loss's double sum may differ, in its last bits.
/// </summary>
public class PriorLossTests
{
    [Theory]
    [InlineData(PriorLossKind.L1)]
    [InlineData(PriorLossKind.IrtInit)]
    [InlineData(PriorLossKind.Irt)]
    public void FastGradientIsTheReferenceBitForBit(PriorLossKind kind)
    {
        var rng = new Random(11 + (int)kind);
        // 37 valid columns: nine blocks of four and one leftover; 41 − 37 columns of padding.
        const int h = 23, w = 41, validH = 19, validW = 37;
        Tensor Uniform(int c, float lo, float hi)
        {
            var t = new Tensor(new Shape(1, c, h, w));
            for (int i = 0; i < t.Length; i++) t.Data[i] = lo + (hi - lo) * (float)rng.NextDouble();
            return t;
        }
        var o = Uniform(kind == PriorLossKind.L1 ? 3 : 6, -0.2f, 1.2f);
        var input = Uniform(3, 0, 1);
        var p = Uniform(3, 0, 1);
        // Ties and zero differences: sign(0) = 0 and the head decision at equal confidences.
        for (int i = 0; i < 3 * h * w; i += 7) o.Data[i] = p.Data[i];
        if (kind != PriorLossKind.L1)
            for (int i = 0; i < 3 * h * w; i += 11) o.Data[i + 3 * h * w] = o.Data[i];

        var backward = new PriorLossBackwardOp(kind, validH, validW);
        var expected = ReferenceBackend.Instance.Execute(backward, o, input, p);
        var actual = FastBackend.Instance.Execute(backward, o, input, p);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected.Data[i]) == BitConverter.SingleToInt32Bits(actual.Data[i]),
                $"{kind}: gradient element {i} is {actual.Data[i]:R}, the reference's {expected.Data[i]:R}");
        Assert.Contains(actual.Data, v => v > 0);
        Assert.Contains(actual.Data, v => v < 0);

        var loss = new PriorLossOp(kind, validH, validW);
        double want = ReferenceBackend.Instance.Execute(loss, o, input, p).Data[0];
        double got = FastBackend.Instance.Execute(loss, o, input, p).Data[0];
        Assert.InRange(Math.Abs(got - want), 0, 1e-6 * Math.Abs(want));
    }
}
