namespace Reel.Engine.Backends;

/// <summary>
/// The arithmetic of a GPU backend's convolutions (everything else stays float32). The CPU
/// backends compute in float32 always.
/// </summary>
public enum Precision
{
    /// <summary>float32 multiply-adds, no tensor cores: the reference.</summary>
    Fp32,
    /// <summary>float32 tensors, multiplied on tensor cores in TF32 (10-bit mantissa) on sm_80 and newer; the default.</summary>
    Tf32,
    /// <summary>Convolution operands rounded to bfloat16 (8-bit mantissa), summed in float32, results back in float32.</summary>
    Bf16,
}
