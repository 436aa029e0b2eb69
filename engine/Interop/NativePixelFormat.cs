namespace Reel.Engine.Interop;

// As engine/native/include/reel.h declares it: a change here is a change of REEL_ABI_VERSION there,
// and only ever an addition (reel.h: older programs keep working).

/// <summary>reel_pixel_format: the value is the number of interleaved u8 channels.</summary>
internal enum NativePixelFormat { Gray8 = 1, Rgb24 = 3 }
