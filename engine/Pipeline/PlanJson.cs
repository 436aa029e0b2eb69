using System.Text.Json.Serialization;

namespace Reel.Engine.Pipeline;

/// <summary>plan.json and the shard records through System.Text.Json's source generator (no reflection: NativeAOT builds read it too).</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(ShotPlan))]
[JsonSerializable(typeof(ShardRecord))]
internal sealed partial class PlanJson : JsonSerializerContext;
