using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Backends.Cuda;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Tests.Cuda;

/// <summary>The CUDA host code's planning logic, which needs no device: launch geometry, algorithm choice, plan caching, GEMM mapping, report parsing.</summary>
public class PlanningTests
{
    [Fact]
    public void LinearGeometryCoversEveryElementWithinCudaLimits()
    {
        foreach (long n in new long[] { 1, 2, 31, 255, 256, 257, 1000, 65_535, 1_081_343, 1_081_344, 1_081_345, 33_177_600, 3L << 31 })
        foreach (int block in new[] { 32, 128, 256, 1024 })
        {
            var g = LaunchGeometry.Linear(n, block);
            // Fewer elements than a block: the smallest power of two from a warp (32) that holds them.
            int expected = n >= block ? block : Math.Max(32, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)n));
            Assert.Equal((uint)expected, g.Block.X);
            Assert.InRange(g.Grid.X, 1u, (uint)LaunchGeometry.MaxLinearBlocks);
            // One thread per element until the cap; past it the grid-stride loop covers the rest.
            if ((n + block - 1) / block <= LaunchGeometry.MaxLinearBlocks) Assert.Equal((ulong)((n + expected - 1) / expected), g.Grid.X);
            Assert.True((ulong)g.Grid.X * g.Block.X >= (ulong)Math.Min(n, (long)LaunchGeometry.MaxLinearBlocks * block));
        }
        Assert.True(LaunchGeometry.Linear(0).IsEmpty);
        Assert.Equal(3u, LaunchGeometry.Linear(10, frames: 3).Grid.Y);
        Assert.Throws<ArgumentOutOfRangeException>(() => LaunchGeometry.Linear(10, block: 48));
        Assert.Throws<ArgumentOutOfRangeException>(() => LaunchGeometry.Linear(10, block: 2048));
        Assert.Throws<ArgumentOutOfRangeException>(() => LaunchGeometry.Linear(10, frames: 70_000));
    }

    [Fact]
    public void TransposeGeometryTilesBothAxes()
    {
        var g = LaunchGeometry.Transpose(channels: 33, hw: 1000, frames: 2);
        Assert.Equal(new Dim3(32, 2, 2), g.Grid);
        Assert.Equal(new Dim3(32, 8), g.Block);
        Assert.True(LaunchGeometry.Transpose(0, 10, 1).IsEmpty);
    }

    [Fact]
    public void PlannerTakesTheFastestSuccessfulAlgorithmThatFitsTheWorkspace()
    {
        var offered = new[]
        {
            new AlgorithmCandidate(6, 0, 0.1f, 900L << 20),  // Winograd, too much workspace
            new AlgorithmCandidate(7, 3, 0.2f, 0),           // failed (status ≠ 0)
            new AlgorithmCandidate(1, 0, 0.3f, 64L << 20),   // implicit precomp GEMM
            new AlgorithmCandidate(0, 0, 0.5f, 0),
        };
        var plan = ConvolutionPlanner.Choose(offered, 512L << 20, wantsBiasRelu: true);
        Assert.Equal(new ConvolutionPlan(1, 64L << 20, FusedBiasActivation: true), plan);
        Assert.False(ConvolutionPlanner.Choose(offered, 1L << 30, wantsBiasRelu: true).FusedBiasActivation); // Winograd: separate epilogue
        Assert.Equal(0, ConvolutionPlanner.Choose(offered, 0, false).Algorithm);
        var e = Assert.Throws<Reel.Engine.ReelException>(() => ConvolutionPlanner.Choose(offered.Take(2).ToArray(), 1 << 20, false));
        Assert.Contains("workspace budget", e.Message);
    }

    [Fact]
    public void PlansAreCreatedOncePerOpAndShape()
    {
        var cache = new PlanCache<ConvolutionKey, string>();
        int created = 0;
        var conv = new Conv2dOp(64, 64, 3, 3, Padding: 1, Activation: Activation.Relu);
        for (int frame = 0; frame < 10; frame++)
        foreach (var s in new[] { new Shape(1, 64, 270, 480), new Shape(1, 64, 271, 480) })
            cache.GetOrCreate(new ConvolutionKey(conv, s, false), _ => $"plan {++created}");
        cache.GetOrCreate(new ConvolutionKey(conv with { Activation = Activation.None }, new Shape(1, 64, 270, 480), false), _ => $"plan {++created}");
        Assert.Equal(3, created);
        Assert.Equal(3, cache.Misses);
        Assert.Equal(18, cache.Hits);
    }

    [Fact]
    public void PtxasReportIsParsedPerKernel()
    {
        const string report = """
            ptxas info    : 0 bytes gmem
            ptxas info    : Compiling entry function 'irt_loss_grad_f32' for 'sm_90'
            ptxas info    : Function properties for irt_loss_grad_f32
                0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
            ptxas info    : Used 48 registers, 2048 bytes smem
            ptxas info    : Compiling entry function 'big' for 'sm_80'
            ptxas info    : Function properties for big
                24 bytes stack frame, 16 bytes spill stores, 8 bytes spill loads
            ptxas info    : Used 255 registers, 380 bytes cmem[0]
            """;
        var parsed = KernelCheck.ParsePtxasReport(report);
        Assert.Equal((48, 0, 2048), parsed["irt_loss_grad_f32"]);
        Assert.Equal((255, 24, 0), parsed["big"]);
    }

    [Fact]
    public void KernelSignaturesAreReadFromTheSource()
    {
        var k = KernelSources.Find("irt_loss_grad_f32");
        Assert.Equal("irt.cu", k.File);
        Assert.Equal("ptr,ptr,ptr,ptr,ptr,int,int,int,int,int,float", k.Signature);
        Assert.Equal("ptr,ptr,ptr,ptr,long,ptr,float,float,float", KernelSources.Find("adam_step_f32").Signature);
        Assert.Contains("reel_cuda.cuh", KernelSources.Headers);
    }

    [Fact]
    public void LibraryNamesCoverTheSupportedVersionsNewestFirst()
    {
        var c = Reel.Engine.Backends.Cuda.Native.NativeLibraries.Candidates;
        Assert.Equal(new[] { "libcudnn.so.9", "libcudnn.so.8" }, c["cudnn"].Take(2));
        Assert.Equal(new[] { "libcublasLt.so.13", "libcublasLt.so.12" }, c["cublasLt"].Take(2));
        Assert.Equal(new[] { "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2" }, c["nvrtc"].Take(3));
        Assert.Equal("cuMemAlloc", Reel.Engine.Backends.Cuda.Native.Driver.CallName("Driver.cuMemAlloc(out var p, (nuint)n)"));
    }

    /// <summary>Where there is no GPU (every machine of this project), probing reports why instead of throwing.</summary>
    [Fact]
    public void NoGpuHereIsReportedNotThrown()
    {
        if (DriverDevice.Probe(out var reason)) return; // a machine with a GPU has nothing to report
        Assert.False(DriverDevice.Probe(out reason));
        Assert.False(string.IsNullOrWhiteSpace(reason));
        Assert.Null(CudaBackend.TryCreate(null, out var why));
        Assert.Equal(reason, why);
    }
}
