using System.Runtime.InteropServices;

namespace Reel.Engine.Interop;

// The C ABI's data, laid out exactly as engine/native/include/reel.h declares it. A change here
// is a change of REEL_ABI_VERSION there, and only ever an addition (reel.h: older programs keep working).

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

/// <summary>reel_backend.</summary>
internal enum NativeBackend { Auto = 0, Cpu = 1, CpuReference = 2, Cuda = 3 }

/// <summary>reel_model_kind.</summary>
internal enum NativeModelKind { Denoiser = 1, Colorizer = 2 }

/// <summary>reel_pixel_format: the value is the number of interleaved u8 channels.</summary>
internal enum NativePixelFormat { Gray8 = 1, Rgb24 = 3 }

/// <summary>reel_frame: caller-owned u8 pixels, row <c>y</c> starting at <c>Pixels + y × Stride</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeFrame
{
    public byte* Pixels;
    public int Width;
    public int Height;
    public int Stride;
    public int Format;
}

/// <summary>reel_model_info.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeModelInfo
{
    public int Kind;
    public int Channels;
}

/// <summary>reel_restore_options.</summary>
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

/// <summary>reel_progress: what reel_video_restore_ex's callback reads; NaN or 0 where a value does not apply.</summary>
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
