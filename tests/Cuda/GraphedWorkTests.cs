using Reel.Engine;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Backends.Cuda;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Tests.Cuda;

/// <summary>
/// Repeated work on the CUDA backend (emulated device): eager until the pool holds what a run needs,
/// then one capture per set of input shapes, then replays that take new inputs and give the same
/// outputs the ops give, with the finite checks of the captured work still reported.
/// </summary>
public class GraphedWorkTests
{
    [Fact]
    public void TheBodyRunsUntilCapturedThenEachShapeReplaysItsOwnGraph()
    {
        using var device = EmulatedGpu.OpenPrivate();
        int calls = 0;
        using (var gpu = EmulatedGpu.Backend(device))
        using (var work = gpu.Repeat(inputs =>
        {
            calls++;
            using var d = gpu.Execute(new SubtractOp(), inputs[0], inputs[1]);
            gpu.EnsureFinite(d, "the difference");
            return new[] { gpu.Execute(new ClampOp(0f, 1f), d) };
        }))
        {
            var rng = new Random(4);
            foreach (var (shape, runs) in new[] { (new Shape(1, 2, 5, 7), 6), (new Shape(1, 1, 3, 3), 6), (new Shape(1, 2, 5, 7), 3) })
            for (int run = 0; run < runs; run++)
            {
                var a = new Tensor(shape, EmulatedGpu.RandomFloats(rng, (int)shape.ElementCount, -1, 2));
                var b = new Tensor(shape, EmulatedGpu.RandomFloats(rng, (int)shape.ElementCount, -1, 1));
                var expected = FastBackend.Instance.Execute(new ClampOp(0f, 1f), FastBackend.Instance.Execute(new SubtractOp(), a, b));
                // One input already on the device, one from the host.
                using var onDevice = gpu.Import(a);
                var result = work.Run(onDevice, b);
                using var y = result[0];
                Assert.Equal(expected.Span.ToArray(), y.ToHost().Span.ToArray());
            }
            // Per shape: two eager runs (the second allocating nothing), one capture; every later run replays.
            Assert.Equal(2, gpu.GraphsCaptured);
            Assert.Equal(6, calls);

            var nan = new Tensor(new Shape(1, 1, 3, 3));
            nan.Data[4] = float.NaN;
            using var replayed = work.Run(nan, new Tensor(new Shape(1, 1, 3, 3)))[0];
            Assert.Equal(6, calls);
            var e = Assert.Throws<ReelException>(() => replayed.ToHost());
            Assert.Contains("the difference", e.Message);
        }
        Assert.Equal(0, device.LiveAllocations);
    }

    [Fact]
    public void AnEagerRunOnACpuBackendIsTheBodyEachTime()
    {
        int calls = 0;
        using var work = ((IBackend)FastBackend.Instance).Repeat(inputs =>
        {
            calls++;
            return new[] { FastBackend.Instance.Execute(new ClampOp(0f, 1f), inputs[0]) };
        });
        for (int run = 0; run < 4; run++)
            Assert.Equal(new[] { 0f, 0.5f, 1f }, work.Run(new Tensor(new Shape(3), new[] { -1f, 0.5f, 2f }))[0].Span.ToArray());
        Assert.Equal(4, calls);
    }

    /// <summary>
    /// A body that does, inside the capture, what a capture refuses (here reading its result back): the
    /// eager runs succeed, the capture fails with the call that broke it and how to run without graphs, and
    /// leaves nothing behind; a backend made without graphs runs the same body eagerly every time.
    /// </summary>
    [Fact]
    public void ACaptureTheDriverRefusesSaysWhyAndHowToRunWithoutGraphs()
    {
        using var device = EmulatedGpu.OpenPrivate();
        var x = new Tensor(new Shape(1, 1, 2, 3), new[] { -1f, 0.5f, 2f, 3f, -4f, 0f });
        Func<Tensor[], Tensor[]> Body(IBackend gpu) => inputs =>
        {
            var y = gpu.Execute(new ClampOp(0f, 1f), inputs[0]);
            try
            {
                Assert.Equal(1f, y.ToHost().Span.ToArray().Max());
            }
            catch
            {
                y.Dispose();
                throw;
            }
            return new[] { y };
        };
        using (var gpu = EmulatedGpu.Backend(device))
        using (var work = gpu.Repeat(Body(gpu)))
        {
            for (int run = 0; run < 2; run++) work.Run(x)[0].Dispose();
            int live = device.LiveAllocations;
            var e = Assert.Throws<ReelException>(() => work.Run(x));
            Assert.Contains("cuMemcpyDtoHAsync", e.Message);
            Assert.Contains("REEL_CUDA_GRAPHS=0", e.Message);
            Assert.Equal(0, gpu.GraphsCaptured);
            Assert.Equal(live, device.LiveAllocations);
        }
        Assert.Equal(0, device.LiveAllocations);

        using (var gpu = EmulatedGpu.Backend(device, graphs: false))
        using (var work = gpu.Repeat(Body(gpu)))
        {
            for (int run = 0; run < 5; run++)
                using (var y = work.Run(x)[0])
                    Assert.Equal(new[] { 0f, 0.5f, 1f, 1f, 0f, 0f }, y.ToHost().Span.ToArray());
            Assert.Equal(0, gpu.GraphsCaptured);
        }
        Assert.Equal(0, device.LiveAllocations);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("1", true)]
    [InlineData("0", false)]
    public void RepeatedWorkIsCapturedUnlessReelCudaGraphsIsZero(string? value, bool graphs) =>
        Assert.Equal(graphs, CudaBackend.GraphsFrom(value));

    [Fact]
    public void AnyOtherReelCudaGraphsIsRefused() =>
        Assert.Contains("REEL_CUDA_GRAPHS must be 1 or 0", Assert.Throws<ReelException>(() => CudaBackend.GraphsFrom("yes")).Message);
}
