using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Reel.Engine.Tensors;

namespace Reel.Engine.Checkpoints;

/// <summary>
/// NumPy `.npy` files (format 1.0–3.0). Reads float32/float64 and common integer types into
/// float32; writes float32, C order. The header dict is parsed as data, never evaluated.
/// </summary>
public static class Npy
{
    private static readonly byte[] Magic = { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' };
    private const int MaxHeaderBytes = 1 << 16;

    /// <summary>The array in the file at <paramref name="path"/>, as float32 in C order.</summary>
    public static Tensor Read(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"npy file not found: {path}");
        using var s = File.OpenRead(path);
        return Read(s, path);
    }

    /// <summary>
    /// The float array in the file at <paramref name="path"/>; integers are refused: a network's input is a
    /// float in its own range, and an image's 0–255 bytes read as such gave a confident wrong answer.
    /// </summary>
    public static Tensor ReadFloats(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"npy file not found: {path}");
        using var s = File.OpenRead(path);
        return Read(s, path, floatsOnly: true);
    }

    /// <summary>The array read from <paramref name="s"/>; <paramref name="source"/> names it in error messages.</summary>
    public static Tensor Read(Stream s, string source) => Read(s, source, floatsOnly: false);

    private static Tensor Read(Stream s, string source, bool floatsOnly)
    {
        var pre = new byte[8];
        if (s.ReadAtLeast(pre, 8, throwOnEndOfStream: false) < 8 || !pre.AsSpan(0, 6).SequenceEqual(Magic))
            throw new CheckpointException($"{source}: not a .npy file (bad magic)");
        int major = pre[6];
        int headerLen;
        if (major == 1)
        {
            var b = new byte[2];
            ReadExact(s, b, source);
            headerLen = BinaryPrimitives.ReadUInt16LittleEndian(b);
        }
        else if (major is 2 or 3)
        {
            var b = new byte[4];
            ReadExact(s, b, source);
            uint n = BinaryPrimitives.ReadUInt32LittleEndian(b);
            if (n > MaxHeaderBytes) throw new CheckpointException($"{source}: .npy header of {n} bytes is implausible");
            headerLen = (int)n;
        }
        else throw new CheckpointException($"{source}: unsupported .npy format version {major}");

        var header = new byte[headerLen];
        ReadExact(s, header, source);
        var text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(header);
        var (descr, fortran, shape) = ParseHeader(text, source);
        if (fortran) throw new CheckpointException($"{source}: Fortran-order arrays are not supported; save with np.ascontiguousarray");

        var (size, convert) = Element(descr, source);
        if (floatsOnly && descr[1] != 'f')
            throw new CheckpointException($"{source}: holds integers ({descr}); give float32 values in the network's range (an image's bytes: x.astype(np.float32) / 255)");
        long count = 1;
        foreach (var d in shape)
        {
            count *= d;
            if (count > int.MaxValue / size) throw new CheckpointException($"{source}: array shape ({string.Join(", ", shape)}) is too large");
        }
        // The header's shape never sizes an allocation the file cannot fill.
        if (s.CanSeek && count * size > s.Length - s.Position)
            throw new CheckpointException($"{source}: .npy file is truncated (shape ({string.Join(", ", shape)}) needs {count * size} bytes)");
        var data = new byte[count * size];
        ReadExact(s, data, source);
        var result = new Tensor(new Shape(shape.Length == 0 ? new[] { 1 } : shape));
        for (int i = 0; i < count; i++) result.Data[i] = convert(data.AsSpan(i * size, size));
        return result;
    }

    /// <summary>Writes <paramref name="t"/> to <paramref name="path"/> as a float32 C-order .npy (format 1.0).</summary>
    public static void Write(string path, Tensor t)
    {
        using var s = File.Create(path);
        Write(s, t);
    }

    /// <summary>Writes <paramref name="t"/> to <paramref name="s"/> as a float32 C-order .npy (format 1.0).</summary>
    public static void Write(Stream s, Tensor t)
    {
        string shape = t.Shape.Rank == 1 ? $"({t.Shape[0]},)" : "(" + string.Join(", ", t.Shape.Dims.ToArray()) + ")";
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}";
        int total = Magic.Length + 2 + 2 + dict.Length + 1;
        int pad = (64 - total % 64) % 64;
        var header = dict + new string(' ', pad) + "\n";
        s.Write(Magic);
        s.WriteByte(1);
        s.WriteByte(0);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
        s.Write(len);
        s.Write(Encoding.Latin1.GetBytes(header));
        var bytes = new byte[t.Length * 4];
        for (int i = 0; i < t.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), t.Data[i]);
        s.Write(bytes);
    }

    private delegate float Convert(ReadOnlySpan<byte> b);

    private static (int Size, Convert Convert) Element(string descr, string source) => descr switch
    {
        "<f4" => (4, b => BinaryPrimitives.ReadSingleLittleEndian(b)),
        "<f8" => (8, b => (float)BinaryPrimitives.ReadDoubleLittleEndian(b)),
        "<f2" => (2, b => (float)BinaryPrimitives.ReadHalfLittleEndian(b)),
        "|u1" => (1, b => b[0]),
        "<i4" => (4, b => BinaryPrimitives.ReadInt32LittleEndian(b)),
        "<i8" => (8, b => BinaryPrimitives.ReadInt64LittleEndian(b)),
        // Big-endian, as numpy writes an array of '>f4' (from a FITS or a network-order file): it was refused as not float32.
        ">f4" => (4, b => BinaryPrimitives.ReadSingleBigEndian(b)),
        ">f8" => (8, b => (float)BinaryPrimitives.ReadDoubleBigEndian(b)),
        ">f2" => (2, b => (float)BinaryPrimitives.ReadHalfBigEndian(b)),
        ">i4" => (4, b => BinaryPrimitives.ReadInt32BigEndian(b)),
        ">i8" => (8, b => BinaryPrimitives.ReadInt64BigEndian(b)),
        _ => throw new CheckpointException($"{source}: .npy element type '{descr}' is not supported (use float32)"),
    };

    /// <summary>Parses the header dict literal: three known keys with string, bool and int-tuple values.</summary>
    private static (string Descr, bool Fortran, int[] Shape) ParseHeader(string text, string source)
    {
        CheckpointException Bad(string why) => new($"{source}: malformed .npy header ({why})");
        string? descr = null;
        bool? fortran = null;
        int[]? shape = null;
        int i = 0;
        void Skip() { while (i < text.Length && char.IsWhiteSpace(text[i])) i++; }
        void Expect(char c) { Skip(); if (i >= text.Length || text[i] != c) throw Bad($"expected '{c}'"); i++; }
        string Str()
        {
            Skip();
            if (i >= text.Length || (text[i] != '\'' && text[i] != '"')) throw Bad("expected a string");
            char q = text[i++];
            int start = i;
            while (i < text.Length && text[i] != q) i++;
            if (i >= text.Length) throw Bad("unterminated string");
            return text[start..i++];
        }

        Expect('{');
        while (true)
        {
            Skip();
            if (i < text.Length && text[i] == '}') break;
            string key = Str();
            Expect(':');
            Skip();
            switch (key)
            {
                case "descr": descr = Str(); break;
                case "fortran_order":
                    if (text.AsSpan(i).StartsWith("True")) { fortran = true; i += 4; }
                    else if (text.AsSpan(i).StartsWith("False")) { fortran = false; i += 5; }
                    else throw Bad("fortran_order is not a bool");
                    break;
                case "shape":
                    Expect('(');
                    var dims = new List<int>();
                    while (true)
                    {
                        Skip();
                        if (i < text.Length && text[i] == ')') { i++; break; }
                        int start = i;
                        while (i < text.Length && char.IsDigit(text[i])) i++;
                        if (!int.TryParse(text.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out int d))
                            throw Bad("shape entry is not a non-negative integer");
                        dims.Add(d);
                        Skip();
                        if (i < text.Length && text[i] == ',') i++;
                    }
                    shape = dims.ToArray();
                    break;
                default: throw Bad($"unknown key '{key}'");
            }
            Skip();
            if (i < text.Length && text[i] == ',') i++;
        }
        if (descr is null || fortran is null || shape is null) throw Bad("a required key is missing");
        return (descr, fortran.Value, shape);
    }

    private static void ReadExact(Stream s, byte[] buf, string source)
    {
        try { s.ReadExactly(buf); }
        catch (EndOfStreamException) { throw new CheckpointException($"{source}: .npy file is truncated"); }
    }
}
