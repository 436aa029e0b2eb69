using System.Runtime.InteropServices;

namespace Reel.Engine.Interop;

// As engine/native/include/reel.h declares it: a change here is a change of REEL_ABI_VERSION there,
// and only ever an addition (reel.h: older programs keep working).

/// <summary>reel_restore_options.</summary>
// SAFETY: unsafe only for its pointer fields, which C fills; their readers check and bound them.
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeRestoreOptions
{
    public nint Denoiser;
    public nint Colorizer;
    public float Temperature;
    public int Stabilize;
    public int Epochs;
    public int Irt;
    public int MemoryMb;
    public delegate* unmanaged<void*, byte*, long, long, int> Progress;
    public void* ProgressUser;
}
