using Reel.Engine;
using Reel.Engine.Checkpoints;
using Reel.Engine.Tensors;
using Reel.Tests.Support;

namespace Reel.Tests.Checkpoints;

public class CheckpointFormatTests
{
    [Fact]
    public void LegacyAndZipFormatsGiveTheSameTensors()
    {
        var legacy = TorchCheckpoint.Load(Golden.Dncnn.File("kair_gray17_legacy.pth"));
        var zip = TorchCheckpoint.Load(Golden.Dncnn.File("kair_gray17_zip.pth"));
        Assert.Equal(34, legacy.Count);
        Assert.Equal(legacy.Names, zip.Names);
        foreach (var n in legacy.Names)
            Assert.Equal(legacy.Get(n).Data, zip.Get(n).Data);
    }

    [Fact]
    public void AFolderOrNothingIsNamedAsSuch()
    {
        var dir = TestPaths.NewTempDir();
        // A folder was "weights file not found", though it is there.
        Assert.Equal($"{dir} is a folder, not a weights file", Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir)).Message);
        var missing = Path.Combine(dir, "none.pth");
        Assert.Equal($"weights file not found: {missing}", Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(missing)).Message);
    }

    /// <summary>A named pipe given as the checkpoint blocked its open for ever, waiting for a writer (reel_model_load could not be cancelled).</summary>
    [Fact]
    public void AnEmptyFileOrAPipeIsRefusedWithoutWaiting()
    {
        var dir = TestPaths.NewTempDir();
        string empty = Path.Combine(dir, "empty.pth"), pipe = Path.Combine(dir, "pipe.pth");
        File.WriteAllBytes(empty, []);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", pipe)!) mkfifo.WaitForExit();
        foreach (var path in new[] { empty, pipe })
        {
            var load = Task.Run(() => CheckpointLoader.Load(path));
            Assert.True(Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(30))).Result == load, $"loading {path} still waits");
            var e = Assert.IsType<CheckpointException>(load.Exception?.InnerException);
            Assert.Equal($"{path} is empty (or not a regular file: a pipe, a device); give the checkpoint's file", e.Message);
        }
    }

    [Fact]
    public void RealKairReleaseLoads()
    {
        var w = TorchCheckpoint.Load(TestPaths.SharedData("weights/kair_dncnn_25.pth"));
        Assert.Equal(34, w.Count);
        Assert.Equal(555_137, w.Names.Sum(n => w.Get(n).Length));
        Assert.Equal(new[] { 64, 1, 3, 3 }, w.Get("model.0.weight").Shape.Dims.ToArray());
        Assert.Equal(new[] { 1, 64, 3, 3 }, w.Get("model.32.weight").Shape.Dims.ToArray());
    }

    [Fact]
    public void DataParallelPrefixIsToleratedAndMissingTensorsAreNamed()
    {
        var w = TorchCheckpoint.Load(TestPaths.SharedData("weights/saoyan/DnCNN-B.pth"));
        Assert.True(w.Contains("dncnn.0.weight"));
        Assert.True(w.Contains("module.dncnn.0.weight"));
        Assert.Equal(new[] { 64, 1, 3, 3 }, w.Get("dncnn.0.weight", 64, 1, 3, 3).Shape.Dims.ToArray());

        var missing = Assert.Throws<CheckpointException>(() => w.Get("model1.0.weight", 64, 1, 3, 3));
        Assert.Contains("'model1.0.weight'", missing.Message);
        Assert.Contains("(64, 1, 3, 3)", missing.Message);
        var misShaped = Assert.Throws<CheckpointException>(() => w.Get("dncnn.0.weight", 64, 3, 3, 3));
        Assert.Contains("(64, 1, 3, 3)", misShaped.Message);
        Assert.Contains("expected (64, 3, 3, 3)", misShaped.Message);
    }

    [Fact]
    public void SafetensorsWrittenByHandInPythonIsRead()
    {
        var w = Safetensors.Read(Golden.Dncnn.File("manual.safetensors"));
        Assert.Equal(Npy.Read(Golden.Dncnn.File("manual_a.weight.npy")).Data, w.Get("a.weight", 3, 2).Data);
        Assert.Equal(Npy.Read(Golden.Dncnn.File("manual_b.npy")).Data, w.Get("b", 5).Data);
    }

    [Fact]
    public void SafetensorsRoundTrip()
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "w.safetensors");
        var a = Random(1, 1, 2, 3, 4);
        var b = Random(2, 7);
        Safetensors.Write(path, new[] { ("conv.weight", a), ("conv.bias", b) }, new Dictionary<string, string> { ["by"] = "reel" });
        var w = Safetensors.Read(path);
        Assert.Equal(new[] { "conv.weight", "conv.bias" }, w.Names);
        Assert.Equal(a.Data, w.Get("conv.weight", 1, 2, 3, 4).Data);
        Assert.Equal(b.Data, w.Get("conv.bias", 7).Data);
        Assert.Equal(0, File.ReadAllBytes(path).Length % 4);
    }

    [Fact]
    public void SafetensorsWithBadOffsetsIsRefused()
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "bad.safetensors");
        var header = System.Text.Encoding.UTF8.GetBytes("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,1000]}}");
        File.WriteAllBytes(path, BitConverter.GetBytes((ulong)header.Length).Concat(header).Concat(new byte[16]).ToArray());
        var e = Assert.Throws<CheckpointException>(() => Safetensors.Read(path));
        Assert.Contains("'x'", e.Message);
    }

    [Fact]
    public void NpyRoundTripAndNumpyWrittenFiles()
    {
        var t = Random(3, 1, 2, 5, 7);
        var path = Path.Combine(TestPaths.NewTempDir(), "t.npy");
        Npy.Write(path, t);
        var back = Npy.Read(path);
        Assert.Equal(t.Shape, back.Shape);
        Assert.Equal(t.Data, back.Data);

        var x = Npy.Read(Golden.Dncnn.File("kair_gray17_zip_x.npy"));
        Assert.Equal(new Shape(1, 1, 29, 37), x.Shape);
        Assert.All(x.Data, v => Assert.InRange(v, 0f, 1f));
    }

    /// <summary>numpy writes an array of '>f4' or '>f8' (read from a FITS or a network-order file) big-endian: read as it is, where it was refused as not float32.</summary>
    [Theory]
    [InlineData(">f4", 4)]
    [InlineData(">f8", 8)]
    public void BigEndianNpyIsRead(string descr, int size)
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "be.npy");
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': (1, 2), }}".PadRight(117) + "\n";
        var data = new byte[2 * size];
        if (size == 4)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteSingleBigEndian(data, 1.5f);
            System.Buffers.Binary.BinaryPrimitives.WriteSingleBigEndian(data.AsSpan(4), -2.25f);
        }
        else
        {
            System.Buffers.Binary.BinaryPrimitives.WriteDoubleBigEndian(data, 1.5);
            System.Buffers.Binary.BinaryPrimitives.WriteDoubleBigEndian(data.AsSpan(8), -2.25);
        }
        File.WriteAllBytes(path, new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }
            .Concat(BitConverter.GetBytes((ushort)header.Length)).Concat(System.Text.Encoding.ASCII.GetBytes(header)).Concat(data).ToArray());
        var t = Npy.Read(path);
        Assert.Equal(new Shape(1, 2), t.Shape);
        Assert.Equal(new[] { 1.5f, -2.25f }, t.Data.Take(2));
    }

    [Fact]
    public void NpyHeaderIsParsedNotEvaluated()
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "evil.npy");
        var header = "{'descr': __import__('os').system('true'), 'fortran_order': False, 'shape': (1,), }\n";
        var bytes = new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }
            .Concat(BitConverter.GetBytes((ushort)header.Length)).Concat(System.Text.Encoding.ASCII.GetBytes(header)).ToArray();
        File.WriteAllBytes(path, bytes);
        var e = Assert.ThrowsAny<ReelException>(() => Npy.Read(path));
        Assert.Contains("malformed .npy header", e.Message);
    }

    private static Tensor Random(int seed, params int[] dims)
    {
        var r = new Random(seed);
        var t = new Tensor(new Shape(dims));
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(r.NextDouble() * 2 - 1);
        return t;
    }
}
