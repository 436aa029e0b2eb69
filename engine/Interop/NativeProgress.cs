using System.Runtime.InteropServices;

namespace Reel.Engine.Interop;

// As engine/native/include/reel.h declares it: a change here is a change of REEL_ABI_VERSION there,
// and only ever an addition (reel.h: older programs keep working).

/// <summary>reel_progress: what reel_video_restore_ex's callback reads; NaN or 0 where a value does not apply.</summary>
// SAFETY: unsafe only for its pointer fields, which C fills; their readers check and bound them.
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeProgress
{
    public int Size;
    public int Shot;
    public int Epoch;
    public int Epochs;
    public byte* Stage;
    public byte* Detail;
    public long Done;
    public long Total;
    public double Rate;
    public double EtaSeconds;
    public double Loss;
    public double ElapsedSeconds;
}
