using System.Text.Json;
using Reel.Engine.Checkpoints;
using Reel.Engine.Metrics;
using Reel.Engine.Models;
using Reel.Tests.Support;

namespace Reel.Tests.Metrics;

public class ImageMetricsTests
{
    [Fact]
    public void PsnrAndSsimMatchSkimage()
    {
        var a = Npy.Read(Golden.Dncnn.File("metrics_a.npy"));
        var b = Npy.Read(Golden.Dncnn.File("metrics_b.npy"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Golden.Dncnn.File("metrics.json")));
        Assert.Equal(doc.RootElement.GetProperty("psnr").GetDouble(), ImageMetrics.Psnr(a, b), 6);
        Assert.Equal(doc.RootElement.GetProperty("ssim").GetDouble(), ImageMetrics.Ssim(a, b), 6);
        Assert.Equal(1.0, ImageMetrics.Ssim(a, a), 9);
        Assert.True(double.IsPositiveInfinity(ImageMetrics.Psnr(a, a)));
    }

    [Fact]
    public void NoiseIsSeededAndStandard()
    {
        var n1 = new StandardNormal(7);
        var n2 = new StandardNormal(7);
        double sum = 0, sq = 0;
        const int count = 200_000;
        for (int i = 0; i < count; i++)
        {
            double v = n1.Next();
            Assert.Equal(v, n2.Next());
            sum += v;
            sq += v * v;
        }
        Assert.InRange(sum / count, -0.01, 0.01);
        Assert.InRange(sq / count, 0.99, 1.01);
    }
}
