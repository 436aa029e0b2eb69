using System.Runtime.InteropServices;

namespace Reel.Engine.Interop;

// As engine/native/include/reel.h declares it: a change here is a change of REEL_ABI_VERSION there,
// and only ever an addition (reel.h: older programs keep working).

/// <summary>reel_model_info.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeModelInfo
{
    public int Kind;
    public int Channels;
}
