using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Reel.Engine.Tensors;

namespace Reel.Engine.Checkpoints;

/// <summary>
/// The safetensors format: an 8-byte little-endian header length, a JSON header mapping names
/// to dtype, shape and byte offsets, then the raw data. Reads F32/F16/BF16/F64 (and small
/// integer types) into float32, with the header's text metadata; writes F32.
/// </summary>
public static class Safetensors
{
    private const long MaxHeaderBytes = 100 << 20;

    /// <summary>The tensors of the file at <paramref name="path"/>, as float32.</summary>
    public static WeightMap Read(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"safetensors file not found: {path}");
        var bytes = File.ReadAllBytes(path);
        return Read(bytes, path);
    }

    /// <summary>The tensors of a whole safetensors file in memory; <paramref name="source"/> names it in error messages.</summary>
    public static WeightMap Read(byte[] file, string source)
    {
        try
        {
            return Parse(file, source);
        }
        catch (InvalidOperationException e)
        {
            // System.Text.Json reports names that are not valid UTF-8 this way.
            throw new CheckpointException($"{source}: invalid safetensors file (header is not valid UTF-8 JSON: {e.Message})", e);
        }
    }

    private static WeightMap Parse(byte[] file, string source)
    {
        CheckpointException Bad(string why) => new($"{source}: invalid safetensors file ({why})");
        if (file.Length < 8) throw Bad("shorter than its header length");
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLen > MaxHeaderBytes || headerLen > (ulong)(file.Length - 8)) throw Bad($"header length {headerLen} runs past the file");
        int dataStart = 8 + (int)headerLen;
        long dataLen = file.Length - dataStart;

        JsonDocument doc;
        try { doc = JsonDocument.Parse(file.AsMemory(8, (int)headerLen)); }
        catch (JsonException e) { throw Bad($"header is not JSON: {e.Message}"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad("header is not an object");
            var map = new WeightMap(source);
            var ranges = new List<(long Begin, long End, string Name)>();
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object) throw Bad("__metadata__ is not an object");
                    // The format's metadata maps text to text; anything else in it is no key this reader knows.
                    foreach (var entry in prop.Value.EnumerateObject())
                        if (entry.Value.ValueKind == JsonValueKind.String) map.Metadata[entry.Name] = entry.Value.GetString()!;
                    continue;
                }
                var e = prop.Value;
                if (e.ValueKind != JsonValueKind.Object
                    || !e.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String
                    || !e.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array
                    || !e.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
                    throw Bad($"entry '{prop.Name}' lacks dtype, shape or data_offsets");
                var dims = new List<int>();
                long count = 1;
                foreach (var d in sh.EnumerateArray())
                {
                    if (!d.TryGetInt32(out int v) || v < 0) throw Bad($"entry '{prop.Name}' has a bad shape");
                    dims.Add(v);
                    count *= v;
                    if (count > int.MaxValue) throw Bad($"entry '{prop.Name}' is too large");
                }
                int size = ElementSize(dt.GetString()!) ?? throw Bad($"entry '{prop.Name}' has unsupported dtype {dt.GetString()}");
                if (!off[0].TryGetInt64(out long begin) || !off[1].TryGetInt64(out long end) || begin < 0 || end < begin || end > dataLen)
                    throw Bad($"entry '{prop.Name}' has offsets outside the data");
                if (end - begin != count * size) throw Bad($"entry '{prop.Name}' has {end - begin} bytes for {count} elements of {dt.GetString()}");
                ranges.Add((begin, end, prop.Name));

                var t = new Tensor(new Shape(dims.Count == 0 ? new[] { 1 } : dims.ToArray()));
                var src = file.AsSpan(dataStart + (int)begin, (int)(end - begin));
                string dtype = dt.GetString()!;
                for (int i = 0; i < count; i++) t.Data[i] = Decode(src.Slice(i * size, size), dtype);
                map.Add(prop.Name, t);
            }
            ranges.Sort((a, b) => a.Begin.CompareTo(b.Begin));
            for (int i = 1; i < ranges.Count; i++)
                if (ranges[i].Begin < ranges[i - 1].End)
                    throw Bad($"entries '{ranges[i - 1].Name}' and '{ranges[i].Name}' overlap");
            return map;
        }
    }

    /// <summary>Writes tensors as F32 in the given order, atomically (temporary file, then rename).</summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        using var header = new MemoryStream();
        using (var w = new Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in list)
            {
                w.WriteStartObject(name);
                w.WriteString("dtype", "F32");
                w.WriteStartArray("shape");
                foreach (var d in t.Shape.Dims) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + t.Length * 4L);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += t.Length * 4L;
            }
            w.WriteEndObject();
        }
        int pad = (int)((8 - header.Length % 8) % 8);
        TempFile.WriteAtomically(path, tmp =>
        {
            using var f = File.Create(tmp);
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)(header.Length + pad));
            f.Write(len);
            header.Position = 0;
            header.CopyTo(f);
            for (int i = 0; i < pad; i++) f.WriteByte((byte)' ');
            foreach (var (_, t) in list)
            {
                var bytes = new byte[t.Length * 4];
                for (int i = 0; i < t.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), t.Data[i]);
                f.Write(bytes);
            }
        });
    }

    private static int? ElementSize(string dtype) => dtype switch
    {
        "F64" or "I64" => 8,
        "F32" or "I32" => 4,
        "F16" or "BF16" or "I16" => 2,
        "U8" or "I8" or "BOOL" => 1,
        _ => null,
    };

    private static float Decode(ReadOnlySpan<byte> b, string dtype) => dtype switch
    {
        "F32" => BinaryPrimitives.ReadSingleLittleEndian(b),
        "F64" => (float)BinaryPrimitives.ReadDoubleLittleEndian(b),
        "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(b),
        "BF16" => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b) << 16),
        "I64" => BinaryPrimitives.ReadInt64LittleEndian(b),
        "I32" => BinaryPrimitives.ReadInt32LittleEndian(b),
        "I16" => BinaryPrimitives.ReadInt16LittleEndian(b),
        "I8" => (sbyte)b[0],
        _ => b[0],
    };
}
