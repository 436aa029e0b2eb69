using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Tests.Ops;

/// <summary>
/// What <see cref="ModeHoldOp"/> does where the flow lost a pixel: the frame's tracked pixels of the
/// pixel's colour decide whether the colorizer shows that colour in its other mode.
/// </summary>
public class ModeHoldOpTests
{
    private const int Side = 8, Plane = Side * Side;
    // A colour held and the colorizer's other mode of it this frame; a third colour no tracked pixel shows.
    private static readonly (float A, float B) Held = (40f, 0f), Other = (-20f, 34.6f), Lone = (0f, -50f);

    /// <summary>Pixels 0 … 59 tracked (held in <see cref="Held"/>, shown in <see cref="Other"/>); 60, 61 lost showing Other; 62 lost showing Lone.</summary>
    private static Tensor[] Frame()
    {
        var p = new Tensor(new Shape(1, 2, Side, Side));
        var s = new Tensor(new Shape(1, 3, Side, Side));
        var c = new Tensor(new Shape(1, 1, Side, Side));
        for (int i = 0; i < Plane; i++)
        {
            var shown = i == 62 ? Lone : Other;
            (p.Data[i], p.Data[Plane + i]) = (shown.A, shown.B);
            (s.Data[i], s.Data[Plane + i], s.Data[2 * Plane + i]) = (Held.A, Held.B, 2f);
            c.Data[i] = i < 60 ? 1f : i == 63 ? 0.6f : 0.2f;
        }
        // Pixel 63 is tracked but agrees: the state there already shows the other mode.
        (s.Data[63], s.Data[Plane + 63]) = (Other.A, Other.B);
        return new[] { p, s, c };
    }

    public static IEnumerable<object[]> Backends() => new[] { new object[] { "reference" }, new object[] { "fast" } };

    private static IBackend Backend(string name) => name == "reference" ? ReferenceBackend.Instance : FastBackend.Instance;

    [Theory]
    [MemberData(nameof(Backends))]
    public void ALostPixelTakesTheModeItsColourIsHeldInByTheTrackedPixels(string backend)
    {
        var y = Backend(backend).Execute(new ModeHoldOp(10f, 1f, 6), Frame()).ToHost();
        for (int i = 0; i < 60; i++)
            Assert.Equal((Held.A, Held.B, 3f), (y.Data[i], y.Data[Plane + i], y.Data[2 * Plane + i]));
        // 60 of the 61 tracked pixels of Other's bin jumped, all to Held: the lost ones take Other plus that jump (in 1/256 units), held.
        float meanA = Held.A - Other.A, meanB = Held.B - Other.B;
        foreach (int i in new[] { 60, 61 })
        {
            Assert.Equal(Other.A + meanA, y.Data[i], 0.01f);
            Assert.Equal(Other.B + meanB, y.Data[Plane + i], 0.01f);
            Assert.Equal(1f, y.Data[2 * Plane + i]);
        }
        Assert.Equal((Lone.A, Lone.B, 0f), (y.Data[62], y.Data[Plane + 62], y.Data[2 * Plane + 62]));
        Assert.Equal((Other.A, Other.B, 0f), (y.Data[63], y.Data[Plane + 63], y.Data[2 * Plane + 63]));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void TooFewTrackedPixelsOrTooFewJumpsLeaveALostPixelItsOwnColour(string backend)
    {
        var few = Backend(backend).Execute(new ModeHoldOp(10f, 1f, 6, MinTracked: 62), Frame()).ToHost();
        Assert.Equal((Other.A, Other.B, 0f), (few.Data[60], few.Data[Plane + 60], few.Data[2 * Plane + 60]));
        // Most tracked pixels of the bin agree: the colorizer shows the held mode, so the lost pixel's colour is that mode.
        var x = Frame();
        for (int i = 0; i < 31; i++) (x[1].Data[i], x[1].Data[Plane + i]) = (Other.A, Other.B);
        var agreeing = Backend(backend).Execute(new ModeHoldOp(10f, 1f, 6), x).ToHost();
        Assert.Equal((Other.A, Other.B, 0f), (agreeing.Data[60], agreeing.Data[Plane + 60], agreeing.Data[2 * Plane + 60]));
    }
}
