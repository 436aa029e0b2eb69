using System.Text.Json.Serialization;
using Reel.Engine.Checkpoints;
using Reel.Engine.Pipeline;

namespace Reel.Engine;

/// <summary>
/// The JSON the engine reads and writes (the weights manifest, a restore's job.json) through
/// System.Text.Json's source generator: the serializers are compiled in, so the NativeAOT
/// builds (`reel`, libreel.so) need no reflection over these types.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WeightCatalog.Manifest))]
[JsonSerializable(typeof(RestoreJob.State))]
internal sealed partial class EngineJson : JsonSerializerContext;
