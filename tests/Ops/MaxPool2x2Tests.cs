using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using Reel.Engine.Training;

namespace Reel.Tests.Ops;

/// <summary>
/// The 2×2 max-pool's vector rows on the values where a window has no single obvious winner:
/// ties, NaN in any corner, ±0, −∞. Forward must equal the reference bit for bit, and the backward
/// pass must send each gradient to the input the reference's scan picks.
/// </summary>
public class MaxPool2x2Tests
{
    private static readonly float[] Specials = { 0f, -0f, 1f, 1f, -1f, float.NaN, float.NegativeInfinity, float.PositiveInfinity, 2.5f };

    private static Tensor Input(int c, int h, int w, int seed)
    {
        var rng = new Random(seed);
        var x = new Tensor(new Shape(1, c, h, w));
        for (int i = 0; i < x.Length; i++) x.Data[i] = Specials[rng.Next(Specials.Length)];
        return x;
    }

    [Theory]
    [InlineData(3, 8, 64)]  // whole vector steps
    [InlineData(2, 6, 39)]  // 19 windows: two vector steps, a scalar tail, an unused last column
    public void ForwardEqualsTheReferenceBitForBit(int c, int h, int w)
    {
        var x = Input(c, h, w, seed: w);
        var expected = ReferenceBackend.Instance.Execute(new MaxPool2dOp(), x);
        var actual = FastBackend.Instance.Execute(new MaxPool2dOp(), x);
        Assert.Equal(expected.Data.Select(BitConverter.SingleToInt32Bits), actual.Data.Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [InlineData(3, 8, 64)]
    [InlineData(2, 7, 39)]  // an odd height and width: the last row and column get no gradient
    public void BackwardSendsEachGradientToTheReferencesPick(int c, int h, int w)
    {
        var x = Input(c, h, w, seed: h * w);
        int oh = h / 2, ow = w / 2;
        var dy = new Tensor(new Shape(1, c, oh, ow));
        for (int i = 0; i < dy.Length; i++) dy.Data[i] = i + 1;
        var expected = new float[x.Length];
        for (int ch = 0; ch < c; ch++)
        for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
        {
            float best = float.NegativeInfinity;
            int at = -1;
            for (int ky = 0; ky < 2; ky++)
            for (int kx = 0; kx < 2; kx++)
            {
                int index = (ch * h + 2 * i + ky) * w + 2 * j + kx;
                if (x.Data[index] > best || float.IsNaN(x.Data[index]) || at < 0) { best = x.Data[index]; at = index; }
            }
            expected[at] = dy.Data[(ch * oh + i) * ow + j];
        }
        var op = new MaxPool2dBackwardOp(new MaxPool2dOp());
        Assert.Equal(expected, FastBackend.Instance.Execute(op, x, dy).Data);
        Assert.Equal(expected, ReferenceBackend.Instance.Execute(op, x, dy).Data);
    }
}
