namespace Reel.Engine.Interop;

// As engine/native/include/reel.h declares it: a change here is a change of REEL_ABI_VERSION there,
// and only ever an addition (reel.h: older programs keep working).

/// <summary>reel_deinterlace (since ABI 3).</summary>
internal enum NativeDeinterlace { Auto = 0, All = 1, Off = 2, Ivtc = 3 }
