using System.Text.Json.Serialization;

namespace Reel.Engine.Checkpoints;

/// <summary>One official checkpoint from weights/manifest.json.</summary>
public sealed record WeightEntry(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("stage")] string Stage,
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("sha256")] string? Sha256,
    [property: JsonPropertyName("sha256_prefix")] string? Sha256Prefix,
    [property: JsonPropertyName("size")] long? Size,
    [property: JsonPropertyName("layout")] string Layout);
