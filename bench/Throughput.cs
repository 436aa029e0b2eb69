using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Reel.Bench;

/// <summary>
/// A BenchmarkDotNet column with each case's rate: GFLOP/s for compute-bound ops, GB/s for
/// memory-bound ones, from the work a suite declares for its case (<see cref="IWork"/>) and the mean time.
/// </summary>
public sealed class ThroughputColumn : IColumn
{
    public string Id => nameof(ThroughputColumn);
    public string ColumnName => "Rate";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => false;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "GFLOP/s (convs) or GB/s (elementwise), from the declared work and the mean";
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        var report = summary[benchmarkCase];
        var name = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Case")?.Value?.ToString();
        if (report?.ResultStatistics is null || name is null) return "-";
        var instance = (IWork)Activator.CreateInstance(benchmarkCase.Descriptor.Type)!;
        var (amount, unit) = instance.Work(name);
        return $"{amount / report.ResultStatistics.Mean:F1} {unit}";
    }
}

/// <summary>What one invocation of a case does: (GFLOP or GB) × 1e9, and the unit to print.</summary>
public interface IWork
{
    (double Amount, string Unit) Work(string caseName);
}

/// <summary>Adds the rate column to a suite.</summary>
public sealed class ThroughputConfig : ManualConfig
{
    public ThroughputConfig() => AddColumn(new ThroughputColumn());
}
