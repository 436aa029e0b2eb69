using Reel.Engine;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Checkpoints;
using Reel.Engine.Models;
using Reel.Tests.Support;

namespace Reel.Tests.Models;

/// <summary>DnCNN in every published key layout, random weights, against PyTorch's forward.</summary>
public class DnCnnParityTests
{
    // Tolerance: |err| ≤ 1e-4 + 1e-4·|y| for float32 through 17–20 layers (measured max errors are printed).
    [Theory]
    [InlineData("kair_gray17_legacy", 17, 1, false)]
    [InlineData("kair_gray17_zip", 17, 1, false)]
    [InlineData("saoyan_b20_legacy", 20, 1, true)]
    [InlineData("cszn_color17_zip", 17, 3, true)]
    public void MatchesPyTorch(string name, int depth, int channels, bool batchNorm)
    {
        var x = Npy.Read(Golden.Dncnn.File(name + "_x.npy"));
        var expected = Npy.Read(Golden.Dncnn.File(name + "_y.npy"));
        foreach (var backend in new IBackend[] { FastBackend.Instance, ReferenceBackend.Instance })
        {
            var model = DnCnn.Load(Golden.Dncnn.File(name + ".pth"), backend);
            Assert.Equal(depth, model.Depth);
            Assert.Equal(channels, model.Channels);
            Assert.Equal(batchNorm, model.HadBatchNorm);
            Tolerance.AssertClose(expected, model.Forward(x), 1e-4, 1e-4, $"{name} on {backend.Name}");
        }
    }

    [Theory]
    [InlineData("real_kair25", "weights/kair_dncnn_25.pth")]
    [InlineData("real_saoyan_b", "weights/saoyan/DnCNN-B.pth")]
    public void PublishedCheckpointsMatchPyTorch(string golden, string weights)
    {
        var model = DnCnn.Load(TestPaths.SharedData(weights), FastBackend.Instance);
        var x = Npy.Read(Golden.Dncnn.File(golden + "_x.npy"));
        Tolerance.AssertClose(Npy.Read(Golden.Dncnn.File(golden + "_y.npy")), model.Forward(x), 1e-4, 1e-4, $"{weights} vs PyTorch");
    }

    [Fact]
    public void RealCheckpointsAreDetectedFromTheirTensors()
    {
        var kair = DnCnn.Load(TestPaths.SharedData("weights/kair_dncnn_25.pth"), FastBackend.Instance);
        Assert.Equal((17, 1, 64, false), (kair.Depth, kair.Channels, kair.Width, kair.HadBatchNorm));
        var blind = DnCnn.Load(TestPaths.SharedData("weights/saoyan/DnCNN-B.pth"), FastBackend.Instance);
        Assert.Equal((20, 1, 64, true), (blind.Depth, blind.Channels, blind.Width, blind.HadBatchNorm));
    }

    [Fact]
    public void WrongCheckpointNamesTheMissingTensor()
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "other.safetensors");
        Safetensors.Write(path, new[] { ("model1.0.weight", new Reel.Engine.Tensors.Tensor(new(64, 1, 3, 3))) });
        var e = Assert.ThrowsAny<ReelException>(() => DnCnn.Load(path, FastBackend.Instance));
        Assert.Contains("not a DnCNN checkpoint: missing tensor 'model.0.weight'", e.Message);
    }

    /// <summary>The colorizer's checkpoint given to the denoiser was "tensors 'model1.*' and 'model2.0.weight' mix two models".</summary>
    [Fact]
    public void AColorizerCheckpointIsNamedAsOne()
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "colorizer.safetensors");
        Safetensors.Write(path, new[]
        {
            ("model1.0.weight", new Reel.Engine.Tensors.Tensor(new(64, 1, 3, 3))), ("model2.0.weight", new Reel.Engine.Tensors.Tensor(new(128, 64, 3, 3))),
            ("model_out.weight", new Reel.Engine.Tensors.Tensor(new(2, 313, 1, 1))),
        });
        var e = Assert.ThrowsAny<ReelException>(() => DnCnn.Load(path, FastBackend.Instance));
        Assert.Equal($"{path} is an ECCV16 colorizer checkpoint, not a DnCNN: give it to --colorizer (or reel colorize)", e.Message);
    }
}
