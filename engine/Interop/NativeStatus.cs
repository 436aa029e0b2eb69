namespace Reel.Engine.Interop;

// As engine/native/include/reel.h declares it: a change here is a change of REEL_ABI_VERSION there,
// and only ever an addition (reel.h: older programs keep working).

/// <summary>reel_status: 0 is success, every other value names a kind of failure.</summary>
internal enum NativeStatus
{
    Ok = 0,
    InvalidArg = 1,
    Io = 2,
    Checkpoint = 3,
    Cancelled = 4,
    Unsupported = 5,
    Runtime = 6,
    OutOfMemory = 7,
    Failed = 8,
    Internal = 9,
}
