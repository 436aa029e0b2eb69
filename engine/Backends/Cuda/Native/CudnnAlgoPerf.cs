using System.Runtime.InteropServices;

namespace Reel.Engine.Backends.Cuda.Native;

/// <summary>cudnnConvolution{Fwd,BwdData,BwdFilter}AlgoPerf_t share this layout (48 bytes).</summary>
// SAFETY: unsafe only for the fixed buffer that pads the struct to cuDNN's size; nothing indexes it.
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CudnnAlgoPerf
{
    public int Algo;
    public int Status;
    public float TimeMs;
    public nuint MemoryBytes;
    public int Determinism;
    public int MathType;
    public fixed int Reserved[3];
}
