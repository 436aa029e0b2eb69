using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Reel.Cli.Commands;

/// <summary>The last line of `reel eval denoise --json` (DESIGN §6: at least mean_psnr, mean_ssim, images).</summary>
internal sealed record EvalSummary(
    [property: JsonPropertyName("mean_psnr")] double MeanPsnr,
    [property: JsonPropertyName("mean_ssim")] double MeanSsim,
    [property: JsonPropertyName("images")] int Images,
    [property: JsonPropertyName("sigma")] double Sigma,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("depth")] int Depth,
    [property: JsonPropertyName("seconds")] double Seconds);

/// <summary>One row of `reel bench --json`'s per-layer list.</summary>
internal sealed record BenchLayer(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("input")] string Input,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("ms")] double Ms,
    [property: JsonPropertyName("gflops")] double Gflops,
    [property: JsonPropertyName("gbps")] double Gbps);

/// <summary>The last line of `reel bench --model M --json`.</summary>
internal sealed record BenchReport(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("size")] string Size,
    [property: JsonPropertyName("device")] string Device,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("conv_path")] string ConvPath,
    [property: JsonPropertyName("runs")] int Runs,
    [property: JsonPropertyName("warmup")] int Warmup,
    [property: JsonPropertyName("median_ms")] double MedianMs,
    [property: JsonPropertyName("min_ms")] double MinMs,
    [property: JsonPropertyName("max_ms")] double MaxMs,
    [property: JsonPropertyName("times_ms")] double[] TimesMs,
    [property: JsonPropertyName("gflop")] double Gflop,
    [property: JsonPropertyName("gflops")] double? Gflops,
    [property: JsonPropertyName("allocated_bytes")] long AllocatedBytes,
    [property: JsonPropertyName("device_median_ms")] double? DeviceMedianMs,
    [property: JsonPropertyName("device_times_ms")] double[]? DeviceTimesMs,
    [property: JsonPropertyName("restore_device_median_ms")] double? RestoreDeviceMedianMs,
    [property: JsonPropertyName("restore_device_times_ms")] double[]? RestoreDeviceTimesMs,
    [property: JsonPropertyName("layers")] BenchLayer[] Layers,
    [property: JsonPropertyName("layers_on_device")] bool LayersOnDevice);

/// <summary>
/// The last line of `reel bench --peak --json`: peak_gflops_* at the width the convolutions run
/// at; the avx512 fields only where the SGEMM kernels use AVX-512.
/// </summary>
internal sealed record PeakReport(
    [property: JsonPropertyName("isa")] string Isa,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("avx2_gflops_1")] double Avx2Gflops1,
    [property: JsonPropertyName("avx2_gflops_all")] double Avx2GflopsAll,
    [property: JsonPropertyName("avx512_gflops_1"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Avx512Gflops1,
    [property: JsonPropertyName("avx512_gflops_all"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Avx512GflopsAll,
    [property: JsonPropertyName("peak_gflops_1")] double PeakGflops1,
    [property: JsonPropertyName("peak_gflops_all")] double PeakGflopsAll);

/// <summary>One kernel and architecture in `reel kernels check --json`'s array.</summary>
internal sealed record KernelRow(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("arch")] string Arch,
    [property: JsonPropertyName("registers")] int? Registers,
    [property: JsonPropertyName("spill_bytes")] int? SpillBytes,
    [property: JsonPropertyName("shared_bytes")] int? SharedBytes,
    [property: JsonPropertyName("compiled")] bool Compiled,
    [property: JsonPropertyName("error")] string? Error);

/// <summary>
/// The last line of `reel eval temporal --json` (DESIGN §6); a PSNR to identical frames is the string "Infinity". The scores as
/// the papers compute them come after the first seven keys, which scripts already read.
/// </summary>
[JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
internal sealed record TemporalSummary(
    [property: JsonPropertyName("warp_error")] double WarpError,
    [property: JsonPropertyName("warp_floor")] double WarpFloor,
    [property: JsonPropertyName("cdc")] double Cdc,
    [property: JsonPropertyName("colorfulness")] double Colorfulness,
    [property: JsonPropertyName("detail")] double Detail,
    [property: JsonPropertyName("psnr_processed")] double? PsnrProcessed,
    [property: JsonPropertyName("frames")] int Frames,
    [property: JsonPropertyName("warp_error_lai")] double WarpErrorLai,
    [property: JsonPropertyName("warp_floor_lai")] double WarpFloorLai,
    [property: JsonPropertyName("cdc_256")] double Cdc256);

/// <summary>One case of `reel selftest --json`: max_rel_err is null when it is not finite; detail says why a case failed, or what a finding found.</summary>
internal sealed record SelfTestRow(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("max_rel_err")] double? MaxRelErr,
    [property: JsonPropertyName("tolerance")] double Tolerance,
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("detail")] string Detail);

/// <summary>The last line of `reel selftest --json`.</summary>
internal sealed record SelfTestReport(
    [property: JsonPropertyName("device")] string Device,
    [property: JsonPropertyName("precision")] string Precision,
    [property: JsonPropertyName("passed")] int Passed,
    [property: JsonPropertyName("failed")] int Failed,
    [property: JsonPropertyName("cases")] SelfTestRow[] Cases);

/// <summary>One library of `reel kernels libraries --json`.</summary>
internal sealed record LibraryRow(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("found")] bool Found,
    [property: JsonPropertyName("detail")] string Detail);

/// <summary>One bound function of `reel kernels libraries --json`; Exported is null where its library was not found, so not checked.</summary>
internal sealed record SymbolRow(
    [property: JsonPropertyName("library")] string Library,
    [property: JsonPropertyName("symbol")] string Symbol,
    [property: JsonPropertyName("exported")] bool? Exported);

/// <summary>`reel kernels libraries --json`: where each library was found and whether every bound function is exported.</summary>
internal sealed record LibrariesReport(
    [property: JsonPropertyName("libraries")] LibraryRow[] Libraries,
    [property: JsonPropertyName("symbols")] SymbolRow[] Symbols);

/// <summary>
/// The JSON the CLI prints, serialized by System.Text.Json's source generator (no reflection:
/// the NativeAOT `reel` has the serializers compiled in). Text stays readable: "×" and "→" in
/// layer names are written as themselves, not as \u escapes.
/// </summary>
[JsonSerializable(typeof(EvalSummary))]
[JsonSerializable(typeof(BenchReport))]
[JsonSerializable(typeof(PeakReport))]
[JsonSerializable(typeof(KernelRow[]))]
[JsonSerializable(typeof(TemporalSummary))]
[JsonSerializable(typeof(SelfTestReport))]
[JsonSerializable(typeof(LibrariesReport))]
internal sealed partial class CliJson : JsonSerializerContext
{
    /// <summary>The context every command prints with.</summary>
    public static CliJson Output { get; } = new(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
