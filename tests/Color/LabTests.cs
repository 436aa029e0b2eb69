using Reel.Engine.Checkpoints;
using Reel.Engine.Color;
using Reel.Tests.Support;

namespace Reel.Tests.Color;

public class LabTests
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
}
