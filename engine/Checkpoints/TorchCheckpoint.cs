using System.Buffers.Binary;
using System.IO.Compression;
using Reel.Engine.Tensors;

namespace Reel.Engine.Checkpoints;

/// <summary>
/// Reads PyTorch `.pth` state dicts in both container formats: the zip format of torch ≥ 1.6
/// and the legacy format (a sequence of pickles followed by raw storages). Tensors of any
/// stored element type come back as float32.
/// </summary>
public static class TorchCheckpoint
{
    /// <summary>The number the legacy format pickles first (torch/serialization.py MAGIC_NUMBER).</summary>
    private static readonly System.Numerics.BigInteger LegacyMagic =
        System.Numerics.BigInteger.Parse("119547037146038801333356");

    private const long LegacyProtocolVersion = 1001;

    /// <summary>The state dict of the .pth at <paramref name="path"/> (zip or legacy container), every tensor as float32.</summary>
    public static WeightMap Load(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"checkpoint not found: {path}");
        try
        {
            return LoadFile(path);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or OverflowException)
        {
            // The zip layer and checked arithmetic report damage with their own exception types.
            throw new CheckpointException($"{path}: damaged checkpoint ({e.Message})", e);
        }
    }

    private static WeightMap LoadFile(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> head = stackalloc byte[4];
        int n = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        stream.Position = 0;
        if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4)
            return LoadZip(stream, path);
        if (n >= 1 && head[0] == 0x80)
            return LoadLegacy(stream, path);
        throw new CheckpointException($"{path}: not a PyTorch checkpoint (neither a zip archive nor a pickle)");
    }

    private static WeightMap LoadZip(Stream stream, string path)
    {
        ZipArchive zip;
        try { zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true); }
        catch (InvalidDataException e) { throw new CheckpointException($"{path}: damaged zip checkpoint ({e.Message})"); }
        using (zip)
        {
            var pkl = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1)
                      ?? throw new CheckpointException($"{path}: zip archive without a data.pkl (not a torch checkpoint)");
            string prefix = pkl.FullName[..^"data.pkl".Length];
            var order = zip.GetEntry(prefix + "byteorder");
            if (order is not null)
            {
                using var r = new StreamReader(order.Open());
                if (r.ReadToEnd().Trim() != "little")
                    throw new CheckpointException($"{path}: big-endian checkpoints are not supported");
            }

            var storages = new Dictionary<string, StorageRef>();
            object? root;
            using (var ms = CopyEntry(pkl, path))
                root = new PickleReader(ms, pid => ZipStorage(pid, storages, path), path).Load();

            foreach (var s in storages.Values)
            {
                var entry = zip.GetEntry(prefix + "data/" + s.Key)
                            ?? throw new CheckpointException($"{path}: storage '{s.Key}' is named but missing from the archive");
                using var ms = CopyEntry(entry, path);
                s.Bytes = ms.ToArray();
            }
            return ToWeightMap(root, path);
        }
    }

    /// <summary>Entries larger than this are refused before anything is inflated.</summary>
    private const long MaxEntryBytes = 1L << 31;

    /// <summary>
    /// Reads one entry, at most its declared size: a zip bomb whose data inflates past what its
    /// header declares is cut off and refused instead of filling memory.
    /// </summary>
    private static MemoryStream CopyEntry(ZipArchiveEntry entry, string path)
    {
        if (entry.Length >= MaxEntryBytes || entry.Length < 0) throw new CheckpointException($"{path}: entry {entry.FullName} is larger than 2 GiB");
        var ms = new MemoryStream((int)entry.Length);
        try
        {
            using var s = entry.Open();
            var buffer = new byte[81920];
            int n;
            while ((n = s.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (ms.Length + n > entry.Length)
                    throw new CheckpointException($"{path}: entry {entry.FullName} inflates past its declared {entry.Length} bytes");
                ms.Write(buffer, 0, n);
            }
            if (ms.Length != entry.Length)
                throw new CheckpointException($"{path}: entry {entry.FullName} holds {ms.Length} bytes, its header says {entry.Length}");
        }
        catch (InvalidDataException e) { throw new CheckpointException($"{path}: damaged entry {entry.FullName} ({e.Message})"); }
        ms.Position = 0;
        return ms;
    }

    private static StorageRef ZipStorage(PickleTuple pid, Dictionary<string, StorageRef> storages, string path)
    {
        // ('storage', storage_type, key, location, numel)
        if (pid.Count < 5 || pid[0] as string != "storage" || pid[1] is not PickleGlobal type || pid[2] is not string key || pid[4] is not long numel)
            throw new CheckpointException($"{path}: unexpected persistent id in data.pkl");
        return GetOrAddStorage(storages, key, type, numel, path);
    }

    private static StorageRef GetOrAddStorage(Dictionary<string, StorageRef> storages, string key, PickleGlobal type, long numel, string path)
    {
        if (!PickleReader.IsStorageGlobal(type, out var dtype))
            throw new CheckpointException($"{path}: '{type.FullName}' is not a storage type");
        if (numel < 0) throw new CheckpointException($"{path}: storage '{key}' has a negative size");
        if (storages.TryGetValue(key, out var existing)) return existing;
        var s = new StorageRef { Key = key, DType = dtype, ElementCount = numel };
        storages[key] = s;
        return s;
    }

    private static WeightMap LoadLegacy(Stream stream, string path)
    {
        var magic = new PickleReader(stream, null, path).Load();
        bool magicOk = magic switch
        {
            long l => l == LegacyMagic,
            System.Numerics.BigInteger b => b == LegacyMagic,
            _ => false,
        };
        if (!magicOk) throw new CheckpointException($"{path}: a pickle, but not a torch checkpoint (wrong magic number)");
        if (new PickleReader(stream, null, path).Load() is not long protocol || protocol != LegacyProtocolVersion)
            throw new CheckpointException($"{path}: unsupported legacy checkpoint protocol");
        if (new PickleReader(stream, null, path).Load() is PickleDict sysInfo
            && sysInfo.TryGet("little_endian", out var le) && le is false)
            throw new CheckpointException($"{path}: big-endian checkpoints are not supported");

        var storages = new Dictionary<string, StorageRef>();
        var root = new PickleReader(stream, pid => LegacyStorage(pid, storages, path), path).Load();
        if (new PickleReader(stream, null, path).Load() is not List<object?> keys)
            throw new CheckpointException($"{path}: storage key list missing after the state dict");

        Span<byte> sizeBytes = stackalloc byte[8];
        foreach (var k in keys)
        {
            if (k is not string key || !storages.TryGetValue(key, out var s))
                throw new CheckpointException($"{path}: storage key '{k}' was never referenced");
            try { stream.ReadExactly(sizeBytes); }
            catch (EndOfStreamException) { throw new CheckpointException($"{path}: truncated before storage '{key}'"); }
            long count = BinaryPrimitives.ReadInt64LittleEndian(sizeBytes);
            if (count != s.ElementCount || count < 0 || count > (stream.Length - stream.Position) / ElementSize(s.DType))
                throw new CheckpointException($"{path}: storage '{key}' is truncated or its size is wrong");
            long bytes = count * ElementSize(s.DType);
            if (bytes > stream.Length - stream.Position)
                throw new CheckpointException($"{path}: storage '{key}' is truncated or its size is wrong");
            s.Bytes = new byte[bytes];
            stream.ReadExactly(s.Bytes);
        }
        return ToWeightMap(root, path);
    }

    private static StorageRef LegacyStorage(PickleTuple pid, Dictionary<string, StorageRef> storages, string path)
    {
        // ('storage', storage_type, root_key, location, numel, view_metadata)
        if (pid.Count >= 1 && pid[0] as string == "module")
            throw new CheckpointException($"{path}: contains a whole pickled model, not a state dict; save model.state_dict() instead");
        if (pid.Count < 6 || pid[0] as string != "storage" || pid[1] is not PickleGlobal type || pid[2] is not string key || pid[4] is not long numel)
            throw new CheckpointException($"{path}: unexpected persistent id");
        if (pid[5] is not null)
            throw new CheckpointException($"{path}: storage views (torch < 0.4 checkpoints) are not supported");
        return GetOrAddStorage(storages, key, type, numel, path);
    }

    private static WeightMap ToWeightMap(object? root, string path)
    {
        var dict = FindStateDict(root)
                   ?? throw new CheckpointException($"{path}: holds no state dict of tensors");
        var map = new WeightMap(path);
        foreach (var (k, v) in dict.Items)
        {
            if (k is not string name) throw new CheckpointException($"{path}: state dict key is not a string");
            if (v is TensorRef t) map.Add(name, Materialize(t, name, path));
        }
        return map;
    }

    /// <summary>
    /// A plain state dict, or one nested under the keys training scripts commonly use
    /// (`state_dict`, `params`, `model`, …).
    /// </summary>
    private static PickleDict? FindStateDict(object? root)
    {
        if (root is not PickleDict d) return null;
        if (d.Count > 0 && d.Items.Any(kv => kv.Value is TensorRef)) return d;
        foreach (var key in new[] { "state_dict", "model_state_dict", "params", "params_ema", "model", "net" })
            if (d.TryGet(key, out var inner) && FindStateDict(inner) is { } found) return found;
        return null;
    }

    private static Tensor Materialize(TensorRef t, string name, string path)
    {
        var bytes = t.Storage.Bytes ?? throw new CheckpointException($"{path}: tensor '{name}' has no storage data");
        int rank = t.Size.Length;
        if (t.Stride.Length != rank) throw new CheckpointException($"{path}: tensor '{name}' has mismatched size and stride");
        long count = 1;
        long maxIndex = t.StorageOffset;
        for (int i = 0; i < rank; i++)
        {
            if (t.Size[i] < 0 || t.Stride[i] < 0 || t.Size[i] > int.MaxValue || t.Stride[i] > int.MaxValue)
                throw new CheckpointException($"{path}: tensor '{name}' has a size or stride out of range");
            count *= t.Size[i];
            if (count > int.MaxValue) throw new CheckpointException($"{path}: tensor '{name}' is too large");
            if (t.Size[i] > 0) maxIndex = checked(maxIndex + (t.Size[i] - 1) * t.Stride[i]);
        }
        if (count > 0 && (t.StorageOffset < 0 || maxIndex >= t.Storage.ElementCount || (maxIndex + 1) * ElementSize(t.Storage.DType) > bytes.Length))
            throw new CheckpointException($"{path}: tensor '{name}' reaches past the end of its storage");

        var dims = rank == 0 ? new[] { 1 } : t.Size.Select(s => (int)s).ToArray();
        var result = new Tensor(new Shape(dims));
        var dst = result.Data;
        var index = new long[rank];
        for (int i = 0; i < count; i++)
        {
            long src = t.StorageOffset;
            for (int d = 0; d < rank; d++) src += index[d] * t.Stride[d];
            dst[i] = ReadElement(bytes, src, t.Storage.DType);
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++index[d] < t.Size[d]) break;
                index[d] = 0;
            }
        }
        return result;
    }

    private static int ElementSize(StorageDType d) => d switch
    {
        StorageDType.Float64 or StorageDType.Int64 => 8,
        StorageDType.Float32 or StorageDType.Int32 => 4,
        StorageDType.Float16 or StorageDType.BFloat16 or StorageDType.Int16 => 2,
        _ => 1,
    };

    private static float ReadElement(byte[] b, long i, StorageDType d)
    {
        int o = checked((int)(i * ElementSize(d)));
        return d switch
        {
            StorageDType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(b.AsSpan(o)),
            StorageDType.Float64 => (float)BinaryPrimitives.ReadDoubleLittleEndian(b.AsSpan(o)),
            StorageDType.Float16 => (float)BinaryPrimitives.ReadHalfLittleEndian(b.AsSpan(o)),
            StorageDType.BFloat16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(o)) << 16),
            StorageDType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(o)),
            StorageDType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(o)),
            StorageDType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(b.AsSpan(o)),
            StorageDType.Int8 => (sbyte)b[o],
            _ => b[o],
        };
    }
}
