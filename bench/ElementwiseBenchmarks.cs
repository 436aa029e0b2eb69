using BenchmarkDotNet.Attributes;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Bench;

/// <summary>
/// The memory-bound ops at their real shapes (and one odd size), with the rate in GB/s of
/// tensor data read and written once: the colorizer's annealed mean over 313 bins, its ×4
/// bilinear upsampling of ab, RGB → Lab of a frame; the prior U-Net's max pool and ×2 upsampling
/// at its first level of a 256² step.
/// Run: dotnet run -c Release --project bench -- --filter '*ElementwiseBenchmarks*'
/// </summary>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
public class ElementwiseBenchmarks : IWork
{
    private static readonly Dictionary<string, (Op Op, Shape Input)> Cases = new()
    {
        ["annealed mean 313×64×64 T=0.38"] = (new AnnealedMeanOp(313, 0.38f), new Shape(1, 313, 64, 64)),
        ["annealed mean 313×37×29 T=1"] = (new AnnealedMeanOp(313, 1f), new Shape(1, 313, 37, 29)),
        ["resize ab 64² → 256²"] = (new ResizeBilinearOp(256, 256), new Shape(1, 2, 64, 64)),
        ["resize ab 61×47 → 720×576"] = (new ResizeBilinearOp(576, 720), new Shape(1, 2, 61, 47)),
        ["max pool 2×2 32×256²"] = (new MaxPool2dOp(), new Shape(1, 32, 256, 256)),
        ["resize 64×128² → 256² aligned"] = (new ResizeBilinearOp(256, 256, AlignCorners: true), new Shape(1, 64, 128, 128)),
        ["rgb → lab 256²"] = (new RgbToLabOp(), new Shape(1, 3, 256, 256)),
        ["rgb → lab 720×576"] = (new RgbToLabOp(), new Shape(1, 3, 576, 720)),
    };

    public static IEnumerable<string> Names => Cases.Keys;

    [ParamsSource(nameof(Names))]
    public string Case { get; set; } = "";

    private IPreparedOp _op = null!;
    private Tensor _x = null!, _y = null!;

    [GlobalSetup]
    public void Setup()
    {
        var (op, input) = Cases[Case];
        var rng = new Random(0);
        _x = new Tensor(input);
        for (int i = 0; i < _x.Length; i++) _x.Data[i] = (float)rng.NextDouble();
        var ps = op.ParameterShapes.Select(s =>
        {
            var t = new Tensor(s);
            for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(rng.NextDouble() * 220 - 110);
            return t;
        }).ToArray();
        _op = FastBackend.Instance.Prepare(op, ps);
        _y = new Tensor(op.InferShape(new[] { input }));
    }

    [Benchmark(Description = "op")]
    public object Run()
    {
        _op.RunInto(_y, _x);
        return _y;
    }

    public (double, string) Work(string caseName)
    {
        var (op, input) = Cases[caseName];
        long outElems = op.InferShape(new[] { input }).ElementCount;
        return ((input.ElementCount + outElems) * 4.0, "GB/s");
    }
}
