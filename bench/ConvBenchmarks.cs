using BenchmarkDotNet.Attributes;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Bench;

/// <summary>
/// The conv that is 15 of DnCNN-17's 17 layers: 64→64, 3×3, stride 1, pad 1, fused ReLU.
/// 256² is 4.83 GFLOP per call; the reference runs on 32² (75.5 MFLOP) to stay quick.
/// </summary>
[MemoryDiagnoser]
public class ConvBenchmarks
{
    private static readonly Conv2dOp Op = new(64, 64, 3, 3, Stride: 1, Padding: 1, HasBias: true, Activation: Activation.Relu);
    private IPreparedOp _fast = null!, _reference = null!;
    private Tensor _x = null!, _xSmall = null!;

    [Params(256)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(0);
        Tensor Rand(params int[] d)
        {
            var t = new Tensor(new Shape(d));
            for (int i = 0; i < t.Length; i++) t.Data[i] = (float)rng.NextDouble() - 0.5f;
            return t;
        }
        var w = Rand(64, 64, 3, 3);
        var b = Rand(64);
        _fast = FastBackend.Instance.Prepare(Op, w, b);
        _reference = ReferenceBackend.Instance.Prepare(Op, w, b);
        _x = Rand(1, 64, Size, Size);
        _xSmall = Rand(1, 64, 32, 32);
    }

    [Benchmark(Description = "fast conv 64→64 3×3 (4.83 GFLOP at 256²)")]
    public Tensor Fast() => _fast.Run(_x);

    [Benchmark(Description = "reference conv 64→64 3×3 on 32² (75.5 MFLOP)")]
    public Tensor Reference() => _reference.Run(_xSmall);
}
