using Reel.Engine.Backends.Cpu;
using Reel.Engine.Models;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using Reel.Engine.Training;
using Xunit.Abstractions;

namespace Reel.Tests.Training;

/// <summary>
/// The training backend runs the convs of maps from <see cref="ConvPlan.MinTrainingPixels"/> on
/// through Winograd F(4,3), whose rounding differs from the GEMM paths' (the 32×64 PyTorch goldens
/// of <see cref="PriorTrainingTests"/> meet it only on their first level, within those tests'
/// tolerances: their worst errors did not change when it came in). Adam turns rounding differences in
/// tiny gradients into full steps, so the two trainings are not bit-equal; they must still learn
/// the same: the losses of 30 steps at 64×128 within a small fraction of each other.
/// </summary>
public class WinogradTrainingTests(ITestOutputHelper log)
{
    private const int H = 64, W = 128, Steps = 30;

    [Fact]
    public void TrainingThroughWinogradFollowsTheGemmPaths()
    {
        Assert.Equal(ConvPath.WinogradF4, ConvPlan.Choose(new Conv2dOp(16, 16, 3, 3, 1, 1), trainingPixels: H * W));
        var input = Frame(phase: 0.0, H, W);
        var processed = Frame(phase: 0.7, H, W);
        var winograd = Train(FastBackend.Training, input, processed);
        var gemm = Train(new FastBackend(ConvPath.ImplicitGemm, training: true), input, processed);
        double worst = 0;
        for (int i = 0; i < Steps; i++) worst = Math.Max(worst, Math.Abs(winograd[i] - gemm[i]) / gemm[i]);
        log.WriteLine($"{Steps} IRT steps at {H}×{W}: loss {gemm[0]:F6} → {gemm[^1]:F6} on the GEMM paths, {winograd[^1]:F6} through Winograd; " +
                      $"worst relative loss difference {worst:G3}");
        Assert.True(gemm[^1] < 0.9 * gemm[0], $"the reference training did not learn: {gemm[0]} → {gemm[^1]}");
        Assert.True(worst > 0, "both trainings ran the same arithmetic: the Winograd path was not taken");
        Assert.True(worst <= 1e-3, $"training through Winograd departs from the GEMM paths' by {worst:G3} of the loss");
    }

    /// <summary>
    /// One step's gradients of a width-64 prior at 64×64, where ∂W of the first level's wide convs runs
    /// through Winograd too (<see cref="WinogradWeightGradient.Pays"/>): every parameter's gradient
    /// within a small fraction of the GEMM paths' (as a whole: ReLUs flipped by the forward's rounding
    /// move single entries further).
    /// </summary>
    [Fact]
    public void GradientsThroughWinogradMatchTheGemmPaths()
    {
        const int Size = 64, Width = 64;
        Assert.True(WinogradWeightGradient.Pays(new Conv2dOp(Width, Width, 3, 3, 1, 1)));
        var input = Frame(phase: 0.0, Size, Size);
        var processed = Frame(phase: 0.7, Size, Size);
        var winograd = Gradients(FastBackend.Training, input, processed);
        var gemm = Gradients(new FastBackend(ConvPath.ImplicitGemm, training: true), input, processed);
        double worst = 0;
        string worstName = "";
        foreach (var (name, g) in gemm)
        {
            double diff = 0, norm = 0;
            for (int i = 0; i < g.Length; i++)
            {
                diff += Math.Pow(winograd[name][i] - g[i], 2);
                norm += Math.Pow(g[i], 2);
            }
            double relative = Math.Sqrt(diff / norm);
            if (relative > worst) (worst, worstName) = (relative, name);
        }
        log.WriteLine($"one IRT step of width {Width} at {Size}×{Size}: worst relative gradient difference {worst:G3} ({worstName}) over {gemm.Count} tensors");
        // That the backend's ∂W takes the Winograd path here is WinogradWeightGradientTests' to show; this
        // guard only shows that some Winograd path (the forward's at least) ran.
        Assert.True(worst > 0, "both ran the same arithmetic: the Winograd paths were not taken");
        Assert.True(worst <= 1e-4, $"{worstName}'s gradient through Winograd departs from the GEMM paths' by {worst:G3} of its norm");

        static Dictionary<string, float[]> Gradients(FastBackend backend, Tensor input, Tensor processed)
        {
            var net = VideoPrior.Create(Width, 6, seed: 4);
            using var trainer = new PriorTrainer(net, backend);
            trainer.ComputeGradients(PriorLossKind.Irt, input, processed, Size, Size);
            return trainer.Gradients.ToDictionary(p => p.Key, p => p.Value.Data.ToArray());
        }
    }

    private static double[] Train(FastBackend backend, Tensor input, Tensor processed)
    {
        var net = VideoPrior.Create(16, 6, seed: 4);
        using var trainer = new PriorTrainer(net, backend);
        return Enumerable.Range(0, Steps).Select(_ => trainer.Step(PriorLossKind.Irt, input, processed, H, W)).ToArray();
    }

    /// <summary>A smooth RGB frame in [0, 1]: a few waves across it, shifted by <paramref name="phase"/>.</summary>
    private static Tensor Frame(double phase, int h, int w)
    {
        var t = new Tensor(new Shape(1, 3, h, w));
        for (int c = 0; c < 3; c++)
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            t.Data[(c * h + y) * w + x] = (float)(0.5 + 0.2 * Math.Sin(0.11 * x + 0.7 * c + phase) + 0.2 * Math.Cos(0.17 * y - 0.3 * c + phase * x / w));
        return t;
    }
}
