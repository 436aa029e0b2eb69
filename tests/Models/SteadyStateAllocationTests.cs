using Reel.Engine.Backends.Cpu;
using Reel.Engine.Checkpoints;
using Reel.Engine.Models;
using Reel.Engine.Tensors;

namespace Reel.Tests.Models;

/// <summary>
/// Warm forwards allocate (almost) nothing per frame: prepared ops own their scratch and the
/// models keep their intermediates. Counted on the calling thread (GC.GetAllocatedBytesForCurrentThread),
/// which is where buffers would be made. Parallel.For itself leaves about 1.5 KB per call on the
/// caller (its loop state, closures and replicated tasks), more when the pool is busy with other
/// tests: 100 KB for the 20 layers alone, 120 KB beside a full test run. So the bounds sit well
/// under the smallest buffer a forward would make if it stopped reusing them (half of it for the
/// DnCNN, an eighth for the one conv) and far above what the bookkeeping reaches.
/// </summary>
public class SteadyStateAllocationTests
{
    [Fact]
    public void WarmDnCnnForwardAllocatesOnlyItsResult()
    {
        var rng = new Random(3);
        var w = new WeightMap("random DnCNN-B");
        for (int i = 0; i < 20; i++)
        {
            int cin = i == 0 ? 1 : 64, cout = i == 19 ? 1 : 64;
            w.Add($"model.{2 * i}.weight", Random(new Shape(cout, cin, 3, 3), rng, 1f / MathF.Sqrt(9 * cin)));
            w.Add($"model.{2 * i}.bias", new Tensor(new Shape(cout)));
        }
        var net = DnCnn.FromWeights(w, FastBackend.Instance);
        var x = Random(new Shape(1, 1, 64, 48), rng, 1f);
        net.Forward(x);
        net.Forward(x);
        long before = GC.GetAllocatedBytesForCurrentThread();
        net.Forward(x);
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        long result = 64 * 48 * sizeof(float);
        Console.WriteLine($"warm DnCNN-B forward on 64×48: {bytes} bytes allocated on the calling thread (result {result})");
        // Without reuse each of the 19 hidden layers' outputs is 64 × 64 × 48 floats, 786 KB.
        long intermediate = 64L * 64 * 48 * sizeof(float);
        Assert.True(bytes < result + intermediate / 2, $"{bytes} bytes allocated by a warm forward");
    }

    [Fact]
    public void WarmWinogradConvAllocatesNothingBig()
    {
        var rng = new Random(4);
        var op = new Reel.Engine.Ops.Conv2dOp(64, 64, 3, 3, 1, 1, 1, HasBias: true);
        var conv = FastBackend.Instance.Prepare(op, Random(op.ParameterShapes[0], rng, 0.05f), Random(op.ParameterShapes[1], rng, 0.1f));
        var x = Random(new Shape(1, 64, 40, 40), rng, 1f);
        var y = new Tensor(new Shape(1, 64, 40, 40));
        conv.RunInto(y, x);
        long before = GC.GetAllocatedBytesForCurrentThread();
        conv.RunInto(y, x);
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        Console.WriteLine($"warm Winograd conv on 64×40×40: {bytes} bytes allocated on the calling thread");
        // The smallest buffer it could make per call is one 40 × 40 plane of 64 channels, 400 KB.
        long plane = 64L * 40 * 40 * sizeof(float);
        Assert.True(bytes < plane / 8, $"{bytes} bytes allocated by a warm Winograd conv");
    }

    private static Tensor Random(Shape s, Random rng, float scale)
    {
        var t = new Tensor(s);
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return t;
    }
}
