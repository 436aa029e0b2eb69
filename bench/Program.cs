using BenchmarkDotNet.Running;

namespace Reel.Bench;

/// <summary>
/// BenchmarkDotNet suites for the CPU backend. Run: dotnet run -c Release --project bench -- --filter '*'
/// (GFLOP/s = the FLOPs in each benchmark's description ÷ its mean time).
/// `-- stabilize-modes` instead prints the RGB-vs-chroma table of the Deep Video Prior.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "stabilize-modes") StabilizeModes.Run(args);
        else BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
