using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Checkpoints;
using Reel.Engine.Color;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using Reel.Tests.Support;
using Xunit.Abstractions;

namespace Reel.Tests.Color;

public class LabTests(ITestOutputHelper output)
{
    // skimage rounds the spec's constants ((6/29)³ → 0.008856, 1/(3·(6/29)²) → 7.787); we keep
    // the exact ones, which moves L by < 1e-4 near black. Float32 storage adds ~1e-5.
    [Fact]
    public void RgbToLabMatchesSkimageOn100kColoursAndTheCubeCorners()
    {
        var rgb = Npy.Read(Golden.Colorizer.File("lab_rgb.npy"));
        var expected = Npy.Read(Golden.Colorizer.File("lab_lab.npy"));
        Assert.True(rgb.Shape[2] >= 100_008, $"only {rgb.Shape[2]} colours");
        Tolerance.AssertClose(expected, Lab.FromRgb(rgb), 2e-4, 1e-5, "rgb2lab vs skimage");

        // The last 8 colours are the cube corners; white and black pin the L scale.
        int n = rgb.Shape[2];
        Assert.Equal(1f, rgb.Data[n - 1]);
        Assert.Equal(1f, rgb.Data[2 * n - 1]);
        Assert.Equal(1f, rgb.Data[3 * n - 1]);
        Assert.Equal(100, Lab.FromRgb(1, 1, 1).L, 3);
        Assert.Equal(0, Lab.FromRgb(0, 0, 0).L, 6);
    }

    [Fact]
    public void LabToRgbMatchesSkimageAndRoundTrips()
    {
        var lab = Npy.Read(Golden.Colorizer.File("lab_lab.npy"));
        var expected = Npy.Read(Golden.Colorizer.File("lab_back.npy"));
        Tolerance.AssertClose(expected, Lab.ToRgb(lab), 2e-5, 1e-5, "lab2rgb vs skimage");
        var rgb = Npy.Read(Golden.Colorizer.File("lab_rgb.npy"));
        Tolerance.AssertClose(rgb, Lab.ToRgb(Lab.FromRgb(rgb)), 2e-5, 0, "rgb → lab → rgb");
    }

    [Fact]
    public void OutOfGamutLabIsClippedLikeSkimage()
    {
        var (r, g, b) = Lab.ToRgb(50, 127, -128);
        foreach (var c in new[] { r, g, b }) Assert.InRange(c, 0, 1);
        var (r2, g2, b2) = Lab.ToRgb(0, 0, 120); // negative Z, clipped to 0 first
        foreach (var c in new[] { r2, g2, b2 }) Assert.InRange(c, 0, 1);
    }

    /// <summary>
    /// The fast CPU path (vectorized: FastLab) on the same 100k colours and cube corners: skimage's Lab, the
    /// reference's to the float it stores (FastLab's sRGB → Lab runs in double: in float it was up to 1e-4 off,
    /// and the prior trained steadier on the reference's), its way back, and a recolour of them (each colour's
    /// own lightness with its a, b, both from skimage) the reference's, in each case to float rounding (BackendOpsTests runs planes whose lengths leave the vector
    /// loops' scalar tails some work).
    /// </summary>
    [Fact]
    public void TheFastPathMatchesSkimageAndTheReferenceOnTheSameColours()
    {
        var rgb = Npy.Read(Golden.Colorizer.File("lab_rgb.npy"));
        var lab = Npy.Read(Golden.Colorizer.File("lab_lab.npy"));
        var back = Npy.Read(Golden.Colorizer.File("lab_back.npy"));
        var fast = FastBackend.Instance;
        double l = Tolerance.AssertClose(lab, fast.Execute(new RgbToLabOp(), rgb), 2e-4, 1e-5, "fast rgb2lab vs skimage", report: false);
        double exact = Tolerance.AssertClose(ReferenceBackend.Instance.Execute(new RgbToLabOp(), rgb), fast.Execute(new RgbToLabOp(), rgb), 1e-5, 0,
            "fast rgb2lab vs reference", report: false);
        double r = Tolerance.AssertClose(back, fast.Execute(new LabToRgbOp(), lab), 2e-5, 1e-5, "fast lab2rgb vs skimage", report: false);
        int n = rgb.Shape[2];
        var ab = new Tensor(new Shape(1, 2, n, 1), lab.Data[n..(3 * n)]);
        double c = Tolerance.AssertClose(ReferenceBackend.Instance.Execute(new RecolorOp(), rgb, ab), fast.Execute(new RecolorOp(), rgb, ab), 2e-5, 0, "fast recolour vs reference", report: false);
        var gray = new Tensor(new Shape(1, 1, n, 1), rgb.Data[..n]);
        double g = Tolerance.AssertClose(ReferenceBackend.Instance.Execute(new RecolorOp(), gray, ab), fast.Execute(new RecolorOp(), gray, ab), 2e-5, 0, "fast recolour of gray vs reference", report: false);
        output.WriteLine($"{n} colours, max |err|: L, a, b {l:G3} (vs the reference {exact:G3}); sRGB back {r:G3}; recolour {c:G3}, of gray {g:G3}");

        // A NaN goes through every conversion as a NaN (the finite checks downstream must see it), as in the reference.
        var poisoned = new Tensor(new Shape(1, 3, 1, 11), Enumerable.Range(0, 33).Select(i => i % 11 == 4 ? float.NaN : i / 33f).ToArray());
        var abNaN = new Tensor(new Shape(1, 2, 1, 11), Enumerable.Range(0, 22).Select(i => i == 7 ? float.NaN : i - 11f).ToArray());
        foreach (var (op, inputs) in new (Op, Tensor[])[] { (new RgbToLabOp(), new[] { poisoned }), (new LabToRgbOp(), new[] { poisoned }), (new RecolorOp(), new[] { poisoned, abNaN }) })
        {
            var want = ReferenceBackend.Instance.Execute(op, inputs).Data.Select(float.IsNaN).ToArray();
            Assert.Contains(true, want);
            Assert.Equal(want, fast.Execute(op, inputs).Data.Select(float.IsNaN).ToArray());
        }
    }
}
