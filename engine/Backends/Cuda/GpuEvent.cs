namespace Reel.Engine.Backends.Cuda;

/// <summary>An event (CUevent) that orders work across streams.</summary>
public sealed class GpuEvent(nint handle, Action<nint>? destroy) : GpuHandle(handle, destroy);
