using System.Diagnostics;
using Reel.Engine.Tensors;
using Reel.Engine.Video;

namespace Reel.Engine.Interop;

/// <summary>
/// Caller-owned strided u8 frames ↔ engine tensors. Rows are packed first and then converted
/// by <see cref="ImageIO"/>, so a frame through the C ABI gets exactly the CLI's u8 ↔ float
/// mapping (÷255 in, clamp and round-half-away out).
/// </summary>
// SAFETY: reel.h makes a frame's caller own Height rows of Stride bytes from Pixels; Check makes every row we touch
// (Width × channels bytes from Pixels + y × Stride) lie inside that.
internal static unsafe class NativeFrames
{
    /// <summary>Checks a frame description and returns its pixel format; <paramref name="what"/> names it in errors.</summary>
    public static PixelFormat Check(NativeFrame* f, string what)
    {
        // SAFETY: f is checked for NULL before its fields are read.
        if (f == null) throw new NativeArgumentException($"{what} is NULL");
        if (f->Pixels == null) throw new NativeArgumentException($"{what}->pixels is NULL");
        if (f->Format is not ((int)NativePixelFormat.Gray8 or (int)NativePixelFormat.Rgb24))
            throw new NativeArgumentException($"{what}->format is {f->Format}; use REEL_PIXEL_GRAY8 (1) or REEL_PIXEL_RGB24 (3)");
        if (f->Width < 1 || f->Height < 1) throw new NativeArgumentException($"{what} is {f->Width}×{f->Height}; both must be ≥ 1");
        int channels = f->Format;
        if ((long)f->Width * f->Height * channels > Array.MaxLength)
            throw new NativeArgumentException($"{what} is {f->Width}×{f->Height}×{channels}: too large for one frame");
        if (f->Stride < (long)f->Width * channels)
            throw new NativeArgumentException($"{what}->stride is {f->Stride} bytes, less than a row ({f->Width} × {channels})");
        return channels == 1 ? PixelFormat.Gray8 : PixelFormat.Rgb24;
    }

    /// <summary>(1, C, H, W) in [0, 1] from the frame's pixels.</summary>
    public static Tensor Read(NativeFrame* f, PixelFormat format)
    {
        int row = f->Width * ImageIO.Channels(format);
        // SAFETY: Check accepted f with this format, so row ≤ Stride and every row read lies inside the caller's frame.
        Debug.Assert(f->Pixels != null && row <= f->Stride);
        var packed = new byte[(long)row * f->Height];
        for (int y = 0; y < f->Height; y++)
            new ReadOnlySpan<byte>(f->Pixels + (long)y * f->Stride, row).CopyTo(packed.AsSpan(y * row, row));
        return ImageIO.ToTensor(packed, f->Width, f->Height, format);
    }

    /// <summary>Writes a (1, C, H, W) tensor into the frame, whose size and format were checked against it.</summary>
    public static void Write(Tensor t, NativeFrame* f)
    {
        var packed = ImageIO.ToPixels(t);
        int row = f->Width * f->Format;
        // SAFETY: Check accepted f, so row ≤ Stride and every row written lies inside the caller's frame.
        Debug.Assert(f->Pixels != null && row <= f->Stride);
        for (int y = 0; y < f->Height; y++)
            packed.AsSpan(y * row, row).CopyTo(new Span<byte>(f->Pixels + (long)y * f->Stride, row));
    }
}
