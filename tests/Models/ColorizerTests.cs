using System.Text.Json;
using Reel.Engine;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Checkpoints;
using Reel.Engine.Models;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using Reel.Tests.Support;

namespace Reel.Tests.Models;

public class ColorizerTests
{
    private static readonly Lazy<Colorizer> Net = new(() => Colorizer.Load(Golden.Colorizer.File("eccv16.pth"), FastBackend.Instance));

    // Golden: softmax(z/T) in float64 NumPy with the max subtracted (colorizer_golden.py).
    [Theory]
    [InlineData(0)] [InlineData(1)] [InlineData(2)] [InlineData(3)] [InlineData(4)] [InlineData(5)]
    public void AnnealedMeanMatchesNumPy(int index)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Golden.Colorizer.File($"am_{index}.json")));
        float t = (float)doc.RootElement.GetProperty("temperature").GetDouble();
        var z = Npy.Read(Golden.Colorizer.File($"am_{index}_z.npy"));
        var expected = Npy.Read(Golden.Colorizer.File($"am_{index}_y.npy"));
        var centres = Centres();
        foreach (var backend in new IBackend[] { ReferenceBackend.Instance, FastBackend.Instance })
        {
            var y = backend.Prepare(new AnnealedMeanOp(Colorizer.Bins, t), centres).Run(z);
            Tolerance.AssertClose(expected, y, 2e-3, 1e-4, $"annealed mean T={t} case {index} on {backend.Name}");
        }
    }

    [Fact]
    public void BinCentresComeFromTheCheckpoint()
    {
        var expected = Centres();
        Tolerance.AssertClose(expected, Net.Value.BinCentres, 1e-4, 1e-6, "model_out.weight × 110 vs pts_in_hull");
    }

    // Tolerance: |err| ≤ 2e-3 + 1e-4·|ab| in ab units (range ±110) through 23 convs in float32.
    [Theory]
    [InlineData(1f, "eccv16_t1.npy")]
    [InlineData(0.38f, "eccv16_t038.npy")]
    public void ForwardMatchesPyTorchOnANon256Size(float temperature, string golden)
    {
        var l = Npy.Read(Golden.Colorizer.File("eccv16_l.npy"));
        Assert.Equal(new Shape(1, 1, 48, 40), l.Shape);
        var expected = Npy.Read(Golden.Colorizer.File(golden));
        Tolerance.AssertClose(expected, Net.Value.Forward(l, temperature), 2e-3, 1e-4, $"eccv16 T={temperature} vs PyTorch");
    }

    [Fact]
    public void SizesThatAreNotMultiplesOf8AreRefused()
    {
        var e = Assert.Throws<ReelException>(() => Net.Value.Forward(new Tensor(new Shape(1, 1, 50, 40))));
        Assert.Contains("multiples of 8", e.Message);
    }

    [Fact]
    public void ADnCnnCheckpointIsRefusedByNamingTheMissingTensor()
    {
        var e = Assert.Throws<CheckpointException>(() => Colorizer.Load(TestPaths.SharedData("weights/kair_dncnn_25.pth"), FastBackend.Instance));
        Assert.Contains("missing tensor 'model1.0.weight' of shape (64, 1, 3, 3)", e.Message);
    }

    private static Tensor Centres()
    {
        var lines = File.ReadAllLines(TestPaths.SharedData("colorization/pts_in_hull.csv")).Where(l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith("a,")).ToArray();
        Assert.Equal(Colorizer.Bins, lines.Length);
        var t = new Tensor(new Shape(2, Colorizer.Bins));
        for (int q = 0; q < lines.Length; q++)
        {
            var parts = lines[q].Split(',');
            t.Data[q] = float.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            t.Data[Colorizer.Bins + q] = float.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        return t;
    }
}
