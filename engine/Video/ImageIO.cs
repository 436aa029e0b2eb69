using System.Globalization;
using System.Text.Json;
using Reel.Engine.Tensors;

namespace Reel.Engine.Video;

/// <summary>
/// Still images read and written through ffmpeg (no image library is available to us).
/// Pixels are u8; tensors are (1, C, H, W) in [0, 1].
/// </summary>
public static class ImageIO
{
    private static readonly string[] ImageExtensions = { ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm" };

    /// <summary>The path's extension is an image type Reel reads and writes (.png, .jpg, .bmp, .tif, .webp, .pgm, .ppm; any case).</summary>
    public static bool IsImagePath(string path) =>
        ImageExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>Bytes per pixel of a packed format: 1 for gray, 3 for RGB.</summary>
    internal static int Channels(PixelFormat f) => f == PixelFormat.Gray8 ? 1 : 3;

    private static string FfmpegName(PixelFormat f) => f == PixelFormat.Gray8 ? "gray" : "rgb24";

    /// <summary>Width and height of the first video stream of a file, from ffprobe.</summary>
    public static (int Width, int Height) Probe(string path)
    {
        if (!File.Exists(path)) throw new MediaException($"input not found: {path}");
        var json = Ffmpeg.Run(Ffmpeg.FfprobePath,
            new[] { "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "json", path },
            ReadOnlyMemory<byte>.Empty, path, doing: $"probing {path}");
        try
        {
            using var doc = JsonDocument.Parse(json);
            var streams = doc.RootElement.GetProperty("streams");
            if (streams.GetArrayLength() == 0) throw new MediaException($"{path}: no image or video stream");
            var s = streams[0];
            int w = s.GetProperty("width").GetInt32(), h = s.GetProperty("height").GetInt32();
            if (w <= 0 || h <= 0) throw new MediaException($"{path}: image has no size ({w}×{h})");
            return (w, h);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new MediaException($"{path}: ffprobe gave no image size (not an image?)");
        }
    }

    /// <summary>Decodes the first frame of an image file into packed u8 pixels.</summary>
    public static (int Width, int Height, byte[] Pixels) ReadPixels(string path, PixelFormat format)
    {
        var (w, h) = Probe(path);
        var pixels = Ffmpeg.Run(Ffmpeg.FfmpegPath,
            new[] { "-v", "error", "-nostdin", "-i", path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", FfmpegName(format), "-" },
            ReadOnlyMemory<byte>.Empty, path, doing: $"decoding {path}");
        long expected = (long)w * h * Channels(format);
        if (pixels.Length != expected)
            throw new MediaException($"{path}: decoded {pixels.Length} bytes, expected {expected} for {w}×{h} (corrupt image?)");
        return (w, h, pixels);
    }

    /// <summary>Decodes an image into a (1, C, H, W) tensor in [0, 1], C from <paramref name="format"/> (ffmpeg converts colour to gray and back as needed).</summary>
    public static Tensor Read(string path, PixelFormat format)
    {
        var (w, h, px) = ReadPixels(path, format);
        return ToTensor(px, w, h, format);
    }

    /// <summary>Packed u8 (H, W, C) → planar float (1, C, H, W) in [0, 1].</summary>
    public static Tensor ToTensor(byte[] px, int w, int h, PixelFormat format)
    {
        int c = Channels(format);
        var t = new Tensor(new Shape(1, c, h, w));
        int plane = w * h;
        for (int i = 0; i < plane; i++)
        for (int ch = 0; ch < c; ch++)
            t.Data[ch * plane + i] = px[i * c + ch] / 255f;
        return t;
    }

    /// <summary>Planar float (1, C, H, W) → packed u8, clamped to [0, 1] and rounded to nearest.</summary>
    public static byte[] ToPixels(Tensor t)
    {
        var s = t.Shape;
        if (s.Rank != 4 || s.N != 1 || (s.C != 1 && s.C != 3))
            throw new ArgumentException($"expected a (1, 1|3, H, W) image tensor, got {s}");
        int plane = s.H * s.W;
        var px = new byte[plane * s.C];
        for (int i = 0; i < plane; i++)
        for (int ch = 0; ch < s.C; ch++)
            px[i * s.C + ch] = (byte)Math.Round(Math.Clamp(t.Data[ch * plane + i], 0f, 1f) * 255f, MidpointRounding.AwayFromZero);
        return px;
    }

    /// <summary>
    /// Writes an image (format from the extension) to a temporary file beside the target, reads it
    /// back (one frame of the right size that decodes: <see cref="VideoVerifier"/>) and renames it
    /// into place, so a failed write (a full disk included) never leaves a partial or clobbered file.
    /// </summary>
    public static void Write(string path, Tensor t)
    {
        var format = t.Shape.C == 1 ? PixelFormat.Gray8 : PixelFormat.Rgb24;
        var px = ToPixels(t);
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (!IsImagePath(path)) throw new MediaException($"{path}: unknown image type '{ext}' (use .png or .jpg)");
        var args = new List<string>
        {
            "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", FfmpegName(format),
            "-s", string.Create(CultureInfo.InvariantCulture, $"{t.Shape.W}x{t.Shape.H}"), "-i", "-",
            "-frames:v", "1", "-update", "1",
        };
        if (ext is ".jpg" or ".jpeg") args.AddRange(new[] { "-q:v", "2", "-pix_fmt", format == PixelFormat.Gray8 ? "gray" : "yuvj444p" });
        TempFile.WriteAtomically(path, tmp =>
        {
            var (_, errors) = Ffmpeg.Capture(Ffmpeg.FfmpegPath, args.Append(tmp).ToList(), px, path, CancellationToken.None, $"writing {path}");
            VideoVerifier.Verify(tmp, new VideoExpectation(1, t.Shape.W, t.Shape.H), path, errors);
        });
    }
}
