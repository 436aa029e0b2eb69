namespace Reel.Engine.Interop;

// As engine/native/include/reel.h declares it: a change here is a change of REEL_ABI_VERSION there,
// and only ever an addition (reel.h: older programs keep working).

/// <summary>reel_backend.</summary>
internal enum NativeBackend { Auto = 0, Cpu = 1, CpuReference = 2, Cuda = 3 }
