using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Pipeline;

/// <summary>Resampling of host images for callers outside a backend's pipeline (tools, tests, benchmarks).</summary>
public static class Resample
{
    /// <summary>Bicubic (a = −0.5, as PIL.Image.BICUBIC, antialiased) resize of every plane of (N, C, H, W), clamped to [0, 1] (<see cref="ResizeBicubicOp"/>).</summary>
    public static Tensor Bicubic(Tensor x, int outH, int outW) => FastBackend.Instance.Execute(new ResizeBicubicOp(outH, outW), x);
}
