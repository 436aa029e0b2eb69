using BenchmarkDotNet.Attributes;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using Reel.Engine.Training;

namespace Reel.Bench;

/// <summary>
/// Every convolution path at the shapes the three networks run at 256² (and one odd size),
/// with the rate in GFLOP/s (direct-convolution FLOPs, so Winograd's rate is "effective").
/// Run: dotnet run -c Release --project bench -- --filter '*ConvBenchmarks*'
/// </summary>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
public class ConvBenchmarks : IWork
{
    private static readonly Dictionary<string, (Op Op, Shape Input, ConvPath Path)> Cases = new()
    {
        ["dncnn 64→64 256² winograd4"] = (Conv(64, 64, 1, 1, 1), new Shape(1, 64, 256, 256), ConvPath.WinogradF4),
        ["dncnn 64→64 256² winograd2"] = (Conv(64, 64, 1, 1, 1), new Shape(1, 64, 256, 256), ConvPath.WinogradF2),
        ["dncnn 64→64 256² implicit"] = (Conv(64, 64, 1, 1, 1), new Shape(1, 64, 256, 256), ConvPath.ImplicitGemm),
        ["eccv 512→512 32² winograd4"] = (Conv(512, 512, 1, 1, 1), new Shape(1, 512, 32, 32), ConvPath.WinogradF4),
        ["eccv 512→512 32² implicit"] = (Conv(512, 512, 1, 1, 1), new Shape(1, 512, 32, 32), ConvPath.ImplicitGemm),
        ["eccv 512→512 32² d2 winograd4"] = (Conv(512, 512, 1, 2, 2), new Shape(1, 512, 32, 32), ConvPath.WinogradF4),
        ["eccv 512→512 32² d2 implicit"] = (Conv(512, 512, 1, 2, 2), new Shape(1, 512, 32, 32), ConvPath.ImplicitGemm),
        ["eccv 64→64 s2 256² im2col"] = (Conv(64, 64, 2, 1, 1), new Shape(1, 64, 256, 256), ConvPath.Im2Col),
        ["eccv 256→256 s2 64² im2col"] = (Conv(256, 256, 2, 1, 1), new Shape(1, 256, 64, 64), ConvPath.Im2Col),
        ["eccv 256→313 1×1 64² implicit"] = (new Conv2dOp(256, 313, 1, 1), new Shape(1, 256, 64, 64), ConvPath.ImplicitGemm),
        ["eccv convT 512→256 k4 s2 32²"] = (new ConvTranspose2dOp(512, 256, 4, 2, 1, Activation: Activation.Relu), new Shape(1, 512, 32, 32), ConvPath.Auto),
        ["unet 32→32 256² implicit"] = (Conv(32, 32, 1, 1, 1), new Shape(1, 32, 256, 256), ConvPath.ImplicitGemm),
        ["odd 37→29 61×47 winograd4"] = (Conv(37, 29, 1, 1, 1), new Shape(1, 37, 61, 47), ConvPath.WinogradF4),
        ["odd 37→29 61×47 implicit"] = (Conv(37, 29, 1, 1, 1), new Shape(1, 37, 61, 47), ConvPath.ImplicitGemm),
    };

    private static readonly Dictionary<string, (int Cin, int Cout, int Size)> WeightGradCases = new()
    {
        ["dW unet 32→32 256²"] = (32, 32, 256),
        ["dW unet 128→128 64²"] = (128, 128, 64),
        ["dW odd 37→29 61²"] = (37, 29, 61),
    };

    private static Conv2dOp Conv(int cin, int cout, int stride, int pad, int dil) =>
        new(cin, cout, 3, 3, stride, pad, dil, HasBias: true, Activation: Activation.Relu);

    private IPreparedOp _op = null!;
    private Tensor _x = null!, _y = null!;

    public static IEnumerable<string> ForwardCases => Cases.Keys;
    public static IEnumerable<string> GradientCases => WeightGradCases.Keys;

    [ParamsSource(nameof(ForwardCases))]
    public string Case { get; set; } = "";

    [GlobalSetup(Target = nameof(Forward))]
    public void SetupForward()
    {
        var (op, input, path) = Cases[Case];
        var rng = new Random(0);
        var ps = op.ParameterShapes.Select(s => Random(s, rng, 0.05f)).ToArray();
        _op = new FastBackend(path).Prepare(op, ps);
        _x = Random(input, rng, 1f);
        _y = new Tensor(op.InferShape(new[] { input }));
    }

    [Benchmark(Description = "conv forward")]
    public void Forward() => _op.RunInto(_y, _x);

    public (double, string) Work(string caseName)
    {
        if (WeightGradCases.TryGetValue(caseName, out var g))
            return (2.0 * g.Cin * g.Cout * 9 * g.Size * g.Size, "GFLOP/s");
        var (op, input, _) = Cases[caseName];
        var t = new OpTiming(op, input, Ms: 1, Bytes: 0);
        return (t.Flops, "GFLOP/s");
    }

    private static Tensor Random(Shape s, Random rng, float scale)
    {
        var t = new Tensor(s);
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return t;
    }

    /// <summary>The weight gradient of a 3×3 "same" conv (one GEMM over the pixels), as training runs it.</summary>
    [Config(typeof(ThroughputConfig))]
    public class WeightGradient : IWork
    {
        private Tensor _x = null!, _dy = null!, _w = null!, _dw = null!;
        private IPreparedOp _gradient = null!;

        public static IEnumerable<string> Names => GradientCases;

        [ParamsSource(nameof(Names))]
        public string Case { get; set; } = "";

        [GlobalSetup]
        public void Setup()
        {
            var (cin, cout, size) = WeightGradCases[Case];
            var rng = new Random(1);
            _x = Random(new Shape(1, cin, size, size), rng, 1f);
            _dy = Random(new Shape(1, cout, size, size), rng, 1f);
            _w = Random(new Shape(cout, cin, 3, 3), rng, 0.05f);
            _dw = new Tensor(_w.Shape);
            _gradient = FastBackend.Training.Prepare(new Conv2dBackwardWeightOp(new Conv2dOp(cin, cout, 3, 3, 1, 1)));
        }

        [Benchmark(Description = "conv weight gradient")]
        public void Run() => _gradient.RunInto(_dw, _x, _dy);

        public (double, string) Work(string caseName) => new ConvBenchmarks().Work(caseName);
    }
}
