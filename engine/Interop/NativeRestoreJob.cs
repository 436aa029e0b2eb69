using System.Runtime.InteropServices;

namespace Reel.Engine.Interop;

// As engine/native/include/reel.h declares it: a change here is a change of REEL_ABI_VERSION there,
// and only ever an addition (reel.h: older programs keep working).

/// <summary>reel_restore_job (since ABI 3; <see cref="SaveEverySeconds"/> since ABI 4): `reel restore`'s range, reading, encoding, shot length, strictness, resume and training saves.</summary>
// SAFETY: unsafe only for its pointer fields, which C fills; their readers check them for NULL and read them up to their NUL.
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeRestoreJob
{
    public int Size;
    public int Resume;
    public int Deinterlace;
    public int MaxShotFrames;
    public double FromSeconds;
    public double ToSeconds;
    public byte* Encoder;
    public byte* Preset;
    public byte* FrameRate;
    public int Crf;
    public int Strict;
    public double SaveEverySeconds;
}
