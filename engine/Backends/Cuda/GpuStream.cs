namespace Reel.Engine.Backends.Cuda;

/// <summary>A stream (CUstream). Work on one stream runs in order; the emulator runs it at once.</summary>
public sealed class GpuStream(nint handle, Action<nint>? destroy) : GpuHandle(handle, destroy);
