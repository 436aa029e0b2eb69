using BenchmarkDotNet.Running;

namespace Reel.Bench;

/// <summary>
/// BenchmarkDotNet suites for the CPU backend. Run: dotnet run -c Release --project bench -- --filter '*'
/// (GFLOP/s = the FLOPs in each benchmark's description ÷ its mean time).
/// </summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
