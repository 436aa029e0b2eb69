using Reel.Engine;
using Reel.Engine.Tensors;

namespace Reel.Tests.Ops;

/// <summary>The finiteness check run after every layer: small tensors in one pass, large ones in slices on every core.</summary>
public class EnsureFiniteTests
{
    public static TheoryData<int, int, float> BadValues => new()
    {
        { 100, 0, float.NaN },
        { 100, 99, float.PositiveInfinity },
        { 1 << 20, 0, float.NegativeInfinity },          // first slice
        { 1 << 20, (1 << 18) + 5, float.NaN },           // a middle slice
        { (1 << 20) + 3, 1 << 20, float.PositiveInfinity }, // the short last slice, past the vector loop
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void ANonFiniteValueAnywhereIsReportedWithTheLayer(int length, int at, float bad)
    {
        var t = new Tensor(new Shape(length));
        t.Data.AsSpan(0, length).Fill(1e30f);
        t.Data[at] = bad;
        var e = Assert.Throws<ReelException>(() => t.EnsureFinite("layer 7"));
        Assert.Equal($"layer 7 produced {bad}: the input or the weights are out of range", e.Message);
    }

    [Theory]
    [InlineData(100)]
    [InlineData((1 << 20) + 3)]
    public void FiniteExtremesPass(int length)
    {
        var t = new Tensor(new Shape(length));
        for (int i = 0; i < length; i++) t.Data[i] = (i % 4) switch { 0 => float.MaxValue, 1 => -float.MaxValue, 2 => float.Epsilon, _ => -0f };
        t.EnsureFinite("layer 1");
    }
}
