using Reel.Engine.Backends.Cpu;
using Reel.Engine.Metrics;
using Reel.Engine.Models;
using Reel.Tests.Support;

namespace Reel.Tests.Models;

/// <summary>
/// The real checkpoints reproduce PyTorch 1.13's figures on the same protocol (data/README.md):
/// a correct engine lands within ±0.05 dB; the noise draw accounts for the rest.
/// </summary>
public class PublishedFiguresTests
{
    [Theory]
    [InlineData("weights/kair_dncnn_25.pth", "testsets/Set12", 25, 30.425)]
    [InlineData("weights/saoyan/DnCNN-B.pth", "testsets/Set12", 50, 27.130)]
    public void MeanPsnrMatchesPyTorch(string weights, string dataset, double sigma, double pytorchPsnr)
    {
        var model = DnCnn.Load(TestPaths.SharedData(weights), FastBackend.Instance);
        var report = DenoiseEvaluation.Run(model, TestPaths.SharedData(dataset), sigma, seed: 0);
        Console.WriteLine($"{weights} on {dataset} σ={sigma}: {report.MeanPsnr:F3} dB (PyTorch {pytorchPsnr}), SSIM {report.MeanSsim:F4}, {report.Seconds:F1} s");
        Assert.Equal(12, report.Images.Count);
        Assert.InRange(report.MeanPsnr, pytorchPsnr - 0.05, pytorchPsnr + 0.05);
    }
}
