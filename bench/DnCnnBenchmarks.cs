using BenchmarkDotNet.Attributes;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Models;
using Reel.Engine.Tensors;

namespace Reel.Bench;

/// <summary>
/// A whole DnCNN-17 forward on a gray frame with the real KAIR checkpoint from ../shared/data
/// (REEL_WEIGHTS_DNCNN overrides the path). 256² is 72.8 GFLOP.
/// </summary>
public class DnCnnBenchmarks
{
    private DnCnn _model = null!;
    private Tensor _x = null!;

    [Params(256)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var path = Environment.GetEnvironmentVariable("REEL_WEIGHTS_DNCNN") ?? SharedWeights("kair_dncnn_25.pth");
        if (!File.Exists(path)) throw new FileNotFoundException($"DnCNN checkpoint not found: {path} (set REEL_WEIGHTS_DNCNN)");
        _model = DnCnn.Load(path, FastBackend.Instance);
        _x = new Tensor(new Shape(1, 1, Size, Size));
        var rng = new Random(0);
        for (int i = 0; i < _x.Length; i++) _x.Data[i] = (float)rng.NextDouble();
    }

    /// <summary>../shared/data/weights beside the repository; BenchmarkDotNet runs from a generated folder, so walk up.</summary>
    private static string SharedWeights(string name)
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "Engine.sln")))
                    return Path.GetFullPath(Path.Combine(d.FullName, "..", "shared", "data", "weights", name));
        return name;
    }

    [Benchmark(Description = "DnCNN-17 gray forward")]
    public Tensor Forward() => _model.Forward(_x);
}
