using System.Runtime.InteropServices;

namespace Reel.Engine.Interop;

// As engine/native/include/reel.h declares it: a change here is a change of REEL_ABI_VERSION there,
// and only ever an addition (reel.h: older programs keep working).

/// <summary>reel_frame: caller-owned u8 pixels, row <c>y</c> starting at <c>Pixels + y × Stride</c>.</summary>
// SAFETY: unsafe only for its pointer fields, which C fills; their readers check and bound them.
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeFrame
{
    public byte* Pixels;
    public int Width;
    public int Height;
    public int Stride;
    public int Format;
}
