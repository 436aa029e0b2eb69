using System.Globalization;
using System.Runtime.Intrinsics;
using System.Text.Json;
using Reel.Engine.Tensors;

namespace Reel.Engine.Video;

/// <summary>
/// Still images read and written through ffmpeg (no image library is available to us).
/// Pixels are u8; tensors are (1, C, H, W) in [0, 1].
/// </summary>
public static class ImageIO
{
    /// <summary>
    /// DPX and JPEG 2000 are how film is scanned and archived: a restore takes a scanner's folder of
    /// frames as it is (any bit depth, through ffmpeg's decoders). OpenEXR is left out: its scene-linear
    /// values would need a transfer ffmpeg does not apply, and would come in dark.
    /// </summary>
    private static readonly string[] ImageExtensions = { ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".dpx", ".jp2", ".j2k" };

    /// <summary>The image types, for messages.</summary>
    public const string Kinds = ".png, .jpg, .bmp, .tif, .webp, .pgm, .ppm, .dpx, .jp2";

    /// <summary>
    /// Whether <paramref name="path"/> begins with PNG's signature and ends with its IEND chunk: a frame Reel wrote and nothing
    /// cut short or overwrote since. Read at both ends only, so a resume checks a film's frames in seconds.
    /// </summary>
    public static bool IsWholePng(string path)
    {
        ReadOnlySpan<byte> signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        ReadOnlySpan<byte> end = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82];
        using var f = File.OpenRead(path);
        if (f.Length < signature.Length + end.Length) return false;
        Span<byte> head = stackalloc byte[8], tail = stackalloc byte[12];
        f.ReadExactly(head);
        f.Position = f.Length - tail.Length;
        f.ReadExactly(tail);
        return head.SequenceEqual(signature) && tail.SequenceEqual(end);
    }

    /// <summary>The path's extension is an image type Reel reads and writes (<see cref="Kinds"/>, .jpeg, .tiff, .j2k; any case).</summary>
    public static bool IsImagePath(string path) =>
        ImageExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>
    /// ffmpeg's input options for <paramref name="path"/>: an image's name with a '%' in it ("scan%03d/f1.png") is taken
    /// as it is written, not as an image-sequence pattern, which made ffmpeg look for another file. Only then is the
    /// image2 reader forced: it takes the decoder from the extension, where ffmpeg otherwise reads a JPEG named .png by its bytes.
    /// </summary>
    public static string[] Input(string path) =>
        IsImagePath(path) && path.Contains('%') ? ["-f", "image2", "-pattern_type", "none", "-i", Ffmpeg.Local(path)] : ["-i", Ffmpeg.Local(path)];

    /// <summary>
    /// Whether an RGB image (1, 3, H, W) holds colour: its channels differ by more than one level on average (a gray
    /// JPEG's rounding stays below that).
    /// </summary>
    public static bool HasColour(Tensor rgb)
    {
        if (rgb.Shape.C != 3) return false;
        int plane = rgb.Shape.H * rgb.Shape.W;
        double sum = 0;
        for (int i = 0; i < plane; i++)
            sum += Math.Abs(rgb.Data[i] - rgb.Data[plane + i]) + Math.Abs(rgb.Data[plane + i] - rgb.Data[2 * plane + i]);
        return sum / plane > 1 / 255.0;
    }

    /// <summary>Bytes per pixel of a packed format: 1 for gray, 3 for RGB.</summary>
    internal static int Channels(PixelFormat f) => f == PixelFormat.Gray8 ? 1 : 3;

    private static string FfmpegName(PixelFormat f) => f == PixelFormat.Gray8 ? "gray" : "rgb24";

    /// <summary>
    /// Width, height and pixel shape ("N:M", <see cref="VideoInfo.SampleAspect"/>: a PNG's pHYs chunk, which ffmpeg
    /// writes for <see cref="Write"/>'s anamorphic frames) of the first video stream of a file, from ffprobe.
    /// </summary>
    public static (int Width, int Height, string SampleAspect) Probe(string path)
    {
        var (width, height, sampleAspect, _) = Describe(path);
        return (width, height, sampleAspect);
    }

    /// <summary>
    /// <see cref="Probe"/>'s sizes and pixel shape, and how the image stores its pixels (ffprobe's pix_fmt: "gray", "rgba",
    /// "gray16be"; null where it says none), from one ffprobe.
    /// </summary>
    public static (int Width, int Height, string SampleAspect, string? StoredPixels) Describe(string path)
    {
        if (!File.Exists(path)) throw new MediaException($"input not found: {path}");
        var json = Ffmpeg.Run(Ffmpeg.FfprobePath,
            ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height,sample_aspect_ratio,pix_fmt", "-of", "json", .. Input(path)],
            ReadOnlyMemory<byte>.Empty, path, doing: $"probing {path}");
        try
        {
            using var doc = JsonDocument.Parse(json);
            var streams = doc.RootElement.GetProperty("streams");
            if (streams.GetArrayLength() == 0) throw new MediaException($"{path}: no image or video stream");
            var s = streams[0];
            int w = s.GetProperty("width").GetInt32(), h = s.GetProperty("height").GetInt32();
            if (w <= 0 || h <= 0) throw new MediaException($"{path}: image has no size ({w}×{h})");
            return (w, h, VideoFile.ReadSampleAspect(s, rotation: 0), s.TryGetProperty("pix_fmt", out var pixels) ? pixels.GetString() : null);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new MediaException($"{path}: ffprobe gave no image size (not an image?)");
        }
    }

    /// <summary>
    /// Decodes the first frame of an image file into packed u8 pixels with one ffmpeg run, which writes it as a
    /// PAM image: a short text header with the size, then the pixels. A folder's frames each took an ffprobe
    /// run for the size and an ffmpeg run for the pixels before (about 56 and 47 ms here).
    /// </summary>
    public static (int Width, int Height, byte[] Pixels) ReadPixels(string path, PixelFormat format)
    {
        if (!File.Exists(path)) throw new MediaException($"input not found: {path}");
        var pam = Ffmpeg.Run(Ffmpeg.FfmpegPath,
            ["-v", "error", "-nostdin", .. Input(path), "-frames:v", "1", "-f", "image2pipe", "-c:v", "pam", "-pix_fmt", FfmpegName(format), "-"],
            ReadOnlyMemory<byte>.Empty, path, doing: $"decoding {path}");
        var (w, h, depth, offset) = PamHeader(pam, path);
        int channels = Channels(format);
        long expected = (long)w * h * channels;
        if (depth != channels || pam.Length - offset != expected)
            throw new MediaException($"{path}: decoded {pam.Length - offset} bytes of {depth} channel(s), expected {expected} for {w}×{h}×{channels} (corrupt image?)");
        return (w, h, pam.AsSpan(offset).ToArray());
    }

    /// <summary>
    /// The header of the PAM image ffmpeg wrote ("P7", then WIDTH, HEIGHT, DEPTH, MAXVAL, TUPLTYPE lines and
    /// ENDHDR), read as data: the size, the channels and where the pixels start; MAXVAL must be 255 (u8).
    /// </summary>
    private static (int Width, int Height, int Depth, int Offset) PamHeader(byte[] pam, string path)
    {
        const string end = "ENDHDR\n";
        var text = System.Text.Encoding.ASCII.GetString(pam, 0, Math.Min(pam.Length, 512));
        int stop = text.IndexOf(end, StringComparison.Ordinal);
        if (!text.StartsWith("P7\n", StringComparison.Ordinal) || stop < 0)
            throw new MediaException($"{path}: ffmpeg decoded no image (corrupt image?)");
        var fields = new Dictionary<string, int>();
        foreach (var line in text[3..stop].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = line.Split(' ', 2);
            if (kv.Length == 2 && int.TryParse(kv[1], NumberStyles.None, CultureInfo.InvariantCulture, out int v)) fields[kv[0]] = v;
        }
        int w = fields.GetValueOrDefault("WIDTH"), h = fields.GetValueOrDefault("HEIGHT");
        if (w <= 0 || h <= 0 || fields.GetValueOrDefault("MAXVAL") != 255)
            throw new MediaException($"{path}: image has no size or is not 8-bit as decoded ({w}×{h}, max {fields.GetValueOrDefault("MAXVAL")})");
        return (w, h, fields.GetValueOrDefault("DEPTH"), stop + end.Length);
    }

    /// <summary>Decodes an image into a (1, C, H, W) tensor in [0, 1], C from <paramref name="format"/> (ffmpeg converts colour to gray and back as needed).</summary>
    public static Tensor Read(string path, PixelFormat format)
    {
        var (w, h, px) = ReadPixels(path, format);
        return ToTensor(px, w, h, format);
    }

    /// <summary>Each u8 level as a float in [0, 1]: level / 255, divided once here rather than once per pixel.</summary>
    private static readonly float[] Levels = Enumerable.Range(0, 256).Select(i => i / 255f).ToArray();

    /// <summary>Packed u8 (H, W, C) → planar float (1, C, H, W) in [0, 1]: each value level / 255, exactly.</summary>
    public static Tensor ToTensor(byte[] px, int w, int h, PixelFormat format)
    {
        int c = Channels(format);
        int plane = w * h;
        if (px.Length < (long)plane * c) throw new ArgumentException($"{px.Length} bytes are too few for a {w}×{h} frame of {c} channel(s)");
        var t = Tensor.Uninitialized(new Shape(1, c, h, w));
        var levels = Levels.AsSpan();
        var data = t.Data.AsSpan(0, plane * c);
        if (c == 1)
        {
            var src = px.AsSpan(0, plane);
            for (int i = 0; i < src.Length; i++) data[i] = levels[src[i]];
            return t;
        }
        Span<float> r = data[..plane], g = data.Slice(plane, plane), b = data.Slice(2 * plane, plane);
        var rgb = px.AsSpan(0, 3 * plane);
        for (int i = 0, j = 0; i < plane; i++, j += 3)
        {
            r[i] = levels[rgb[j]];
            g[i] = levels[rgb[j + 1]];
            b[i] = levels[rgb[j + 2]];
        }
        return t;
    }

    /// <summary>
    /// Planar float (1, C, H, W) → packed u8: each value clamped to [0, 1], times 255, rounded half away
    /// from zero (NaN → 0). Vectorized a plane at a time: the rounding is floor(x) + (x − floor(x) ≥ ½),
    /// exact for these non-negative x, so every byte equals the scalar formula's.
    /// </summary>
    public static byte[] ToPixels(Tensor t)
    {
        var s = t.Shape;
        if (s.Rank != 4 || s.N != 1 || (s.C != 1 && s.C != 3))
            throw new ArgumentException($"expected a (1, 1|3, H, W) image tensor, got {s}");
        int plane = s.H * s.W;
        var px = new byte[plane * s.C];
        var data = t.Data.AsSpan(0, plane * s.C);
        if (s.C == 1)
        {
            Quantize(data, px);
            return px;
        }
        var planes = System.Buffers.ArrayPool<byte>.Shared.Rent(3 * plane);
        try
        {
            var q = planes.AsSpan(0, 3 * plane);
            Quantize(data, q);
            Span<byte> r = q[..plane], g = q.Slice(plane, plane), b = q.Slice(2 * plane, plane);
            var rgb = px.AsSpan();
            for (int i = 0, j = 0; i < plane; i++, j += 3)
            {
                rgb[j] = r[i];
                rgb[j + 1] = g[i];
                rgb[j + 2] = b[i];
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(planes);
        }
        return px;
    }

    /// <summary>
    /// Planar float (1, 3, H, W) → packed rgb48le: each value clamped to [0, 1], times 65535, rounded half away from zero
    /// (NaN → 0), for an encoder that keeps more than 8 bits a sample (<see cref="EncodeSettings.TakesDeepFrames"/>).
    /// </summary>
    public static byte[] ToPixels48(Tensor t)
    {
        var s = t.Shape;
        if (s.Rank != 4 || s.N != 1 || s.C != 3) throw new ArgumentException($"expected a (1, 3, H, W) image tensor, got {s}");
        int plane = s.H * s.W;
        var levels = System.Buffers.ArrayPool<ushort>.Shared.Rent(3 * plane);
        try
        {
            var q = levels.AsSpan(0, 3 * plane);
            Quantize16(t.Data.AsSpan(0, 3 * plane), q);
            var px = new byte[6 * plane];
            var rgb = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(px.AsSpan());
            ReadOnlySpan<ushort> r = q[..plane], g = q.Slice(plane, plane), b = q.Slice(2 * plane, plane);
            for (int i = 0, j = 0; i < plane; i++, j += 3)
            {
                rgb[j] = r[i];
                rgb[j + 1] = g[i];
                rgb[j + 2] = b[i];
            }
            // Little-endian on the wire, whatever the machine's order.
            if (!BitConverter.IsLittleEndian) System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(rgb, rgb);
            return px;
        }
        finally
        {
            System.Buffers.ArrayPool<ushort>.Shared.Return(levels);
        }
    }

    /// <summary>One u16 per float, clamped to [0, 1] × 65535 and rounded half away from zero; NaN → 0.</summary>
    internal static void Quantize16(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var scale = Vector256.Create(65535f);
            for (; i + 16 <= src.Length; i += 16)
                Vector256.Narrow(Rounded(src.Slice(i, 8), scale).AsUInt32(), Rounded(src.Slice(i + 8, 8), scale).AsUInt32()).CopyTo(dst.Slice(i, 16));
        }
        for (; i < src.Length; i++)
            dst[i] = (ushort)Math.Round(Math.Clamp(src[i], 0f, 1f) * 65535f, MidpointRounding.AwayFromZero);
    }

    /// <summary>
    /// Eight floats as levels of <paramref name="scale"/> (255, 65535): clamped to [0, 1], scaled and rounded half away from
    /// zero as floor(x) + (x − floor(x) ≥ ½), exact for these non-negative x; NaN → 0.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Rounded(ReadOnlySpan<float> x, Vector256<float> scale)
    {
        var v = Vector256.Create(x);
        var clamped = Vector256.Min(Vector256.Max(v, Vector256<float>.Zero), Vector256<float>.One) * scale;
        var floor = Vector256.Floor(clamped);
        var up = Vector256.GreaterThanOrEqual(clamped - floor, Vector256.Create(0.5f)) & Vector256<float>.One;
        // NaN fails its own equality: 0, as the scalar conversion of NaN gives.
        return Vector256.ConvertToInt32(floor + up) & Vector256.Equals(v, v).AsInt32();
    }

    /// <summary>One u8 per float, clamped to [0, 1] × 255 and rounded half away from zero; NaN → 0.</summary>
    internal static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var scale = Vector256.Create(255f);
            for (; i + 32 <= src.Length; i += 32)
            {
                var lo = Vector256.Narrow(Rounded(src.Slice(i, 8), scale), Rounded(src.Slice(i + 8, 8), scale));
                var hi = Vector256.Narrow(Rounded(src.Slice(i + 16, 8), scale), Rounded(src.Slice(i + 24, 8), scale));
                Vector256.Narrow(lo.AsUInt16(), hi.AsUInt16()).CopyTo(dst.Slice(i, 32));
            }
        }
        for (; i < src.Length; i++)
            dst[i] = (byte)Math.Round(Math.Clamp(src[i], 0f, 1f) * 255f, MidpointRounding.AwayFromZero);
    }

    /// <summary>
    /// Writes an image (format from the extension) to a temporary file beside the target, reads it
    /// back (one frame of the right size that decodes: <see cref="VideoVerifier"/>) and renames it
    /// into place, so a failed write (a full disk included) never leaves a partial or clobbered file.
    /// A <paramref name="sampleAspect"/> other than square is written into the image (a PNG's pHYs, a JPEG's
    /// JFIF density), so an anamorphic film's frames keep their shape through a folder.
    /// </summary>
    public static void Write(string path, Tensor t, string sampleAspect = "1:1")
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
        if (sampleAspect != "1:1") args.AddRange(new[] { "-vf", "setsar=" + sampleAspect.Replace(':', '/') });
        if (ext is ".jpg" or ".jpeg") args.AddRange(new[] { "-q:v", "2", "-pix_fmt", format == PixelFormat.Gray8 ? "gray" : "yuvj444p" });
        TempFile.WriteAtomically(path, tmp =>
        {
            var (_, errors) = Ffmpeg.Capture(Ffmpeg.FfmpegPath, args.Append(tmp).ToList(), px, path, CancellationToken.None, $"writing {path}");
            VideoVerifier.Verify(tmp, new VideoExpectation(1, t.Shape.W, t.Shape.H), path, errors);
        });
    }
}
