using System.Globalization;
using System.Security.Cryptography;

namespace Reel.Engine.Checkpoints;

/// <summary>Opens a weight file by its content: safetensors, or a PyTorch `.pth` of either format.</summary>
public static class CheckpointLoader
{
    /// <summary>The named tensors of the file at <paramref name="path"/>, its format told by its first bytes; a <see cref="CheckpointException"/> says why one cannot be read.</summary>
    public static WeightMap Load(string path)
    {
        if (Directory.Exists(path)) throw new CheckpointException($"{path} is a folder, not a weights file");
        if (!File.Exists(path)) throw new CheckpointException($"weights file not found: {path}");
        // A named pipe has no length and blocked the open for ever, waiting for a writer; no checkpoint is empty.
        if (new FileInfo(path).Length == 0) throw new CheckpointException($"{path} is empty (or not a regular file: a pipe, a device); give the checkpoint's file");
        var weights = path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)
            ? Safetensors.Read(path)
            : TorchCheckpoint.Load(path);
        weights.Identity = Identity(path);
        return weights;
    }

    /// <summary>A checkpoint as a restore's setting: its SHA-256 and size (the record's words, kept as they were so older jobs resume).</summary>
    private static string Identity(string path)
    {
        using var f = File.OpenRead(path);
        return string.Create(CultureInfo.InvariantCulture, $"sha256 {Convert.ToHexStringLower(SHA256.HashData(f))} ({f.Length} bytes)");
    }
}
