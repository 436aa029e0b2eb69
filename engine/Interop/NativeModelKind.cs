namespace Reel.Engine.Interop;

// As engine/native/include/reel.h declares it: a change here is a change of REEL_ABI_VERSION there,
// and only ever an addition (reel.h: older programs keep working).

/// <summary>reel_model_kind.</summary>
internal enum NativeModelKind { Denoiser = 1, Colorizer = 2 }
