using Reel.Engine.Backends.Cuda.Native;

namespace Reel.Engine.Backends.Cuda;

/// <summary>What the CUDA bindings found on this machine: for `reel kernels libraries` and a device check's environment report.</summary>
public static class CudaLibraries
{
    /// <summary>Each library (cuda, nvrtc, cudnn, cublasLt): found where, or every place tried.</summary>
    public static IReadOnlyList<(string Library, bool Found, string Detail)> Describe() => NativeLibraries.Describe();

    /// <summary>Every function the bindings call, per library, and whether the library found exports it.</summary>
    public static IReadOnlyList<(string Library, string Symbol, bool Exported)> BoundSymbols() => NativeLibraries.BoundSymbols();
}
