using Reel.Cli.Commands;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Checkpoints;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using Reel.Tests.Support;
using Xunit.Abstractions;

namespace Reel.Tests.Ops;

/// <summary>
/// The engine's DIS flow against OpenCV's (cv2 4.6, PRESET_MEDIUM, tests/reference/flow_golden.py)
/// on synthetic motions with a known truth, by endpoint error; and the fast path against the
/// reference bit for bit.
/// </summary>
public class OpticalFlowTests(ITestOutputHelper output)
{
    /// <summary>Mean endpoint error of two (1, 2, H, W) flows over the pixels where mask is 1 (all when null).</summary>
    public static double MeanEpe(Tensor a, Tensor b, Tensor? mask = null)
    {
        int plane = a.Shape.H * a.Shape.W;
        double sum = 0;
        int count = 0;
        for (int p = 0; p < plane; p++)
        {
            if (mask is not null && mask.Data[p] == 0) continue;
            double dx = a.Data[p] - b.Data[p], dy = a.Data[plane + p] - b.Data[plane + p];
            sum += Math.Sqrt(dx * dx + dy * dy);
            count++;
        }
        return sum / count;
    }

    [Theory]
    [InlineData("translate")]
    [InlineData("rotate_zoom")]
    [InlineData("object")]
    public void MatchesOpenCvDisOnSyntheticMotion(string motion)
    {
        var a = Npy.Read(Golden.Flow.File($"{motion}_a.npy"));
        var b = Npy.Read(Golden.Flow.File($"{motion}_b.npy"));
        var opencv = Npy.Read(Golden.Flow.File($"{motion}_cv.npy"));
        var truth = Npy.Read(Golden.Flow.File($"{motion}_truth.npy"));
        var valid = Npy.Read(Golden.Flow.File($"{motion}_valid.npy"));
        var ours = FastBackend.Instance.Execute(OpticalFlowOp.Medium, a, b);
        double toOpenCv = MeanEpe(ours, opencv), oursToTruth = MeanEpe(ours, truth, valid), openCvToTruth = MeanEpe(opencv, truth, valid);
        output.WriteLine($"{motion}: mean EPE to OpenCV {toOpenCv:F4} px; to truth: ours {oursToTruth:F4}, OpenCV {openCvToTruth:F4}");
        Assert.True(toOpenCv < 0.02, $"{motion}: mean EPE to OpenCV's flow {toOpenCv:F4} px");
        Assert.True(oursToTruth < openCvToTruth + 0.01, $"{motion}: mean EPE to truth {oursToTruth:F4} px vs OpenCV's {openCvToTruth:F4}");
    }

    [Theory]
    [InlineData(16, 16, 1)] [InlineData(37, 29, 1)] [InlineData(96, 64, 1)] [InlineData(101, 77, 2)]
    public void FastPathEqualsReferenceBitForBit(int width, int height, int finest)
    {
        var rng = new Random(width * 31 + height);
        var (a, b) = SelfTestInputs.ShiftedNoisePair(rng, width, height);
        var op = new OpticalFlowOp(FinestScale: finest);
        var expected = ReferenceBackend.Instance.Execute(op, a, b);
        var actual = FastBackend.Instance.Execute(op, a, b);
        Assert.Equal(expected.Data, actual.Data);
        Assert.Contains(expected.Data, v => Math.Abs(v) > 0.1f);
    }
}
