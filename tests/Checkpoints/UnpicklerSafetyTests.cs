using System.IO.Compression;
using System.Text;
using Reel.Engine;
using Reel.Engine.Checkpoints;
using Reel.Tests.Support;

namespace Reel.Tests.Checkpoints;

public class UnpicklerSafetyTests
{
    [Theory]
    [InlineData("evil_zip.pth")]
    [InlineData("evil_legacy.pth")]
    public void TorchSavedOsSystemIsRefusedAndNeverRuns(string file)
    {
        // torch.save({'w': Evil()}) where Evil.__reduce__ returns (os.system, ('touch MARKER',)).
        var e = Assert.Throws<CheckpointException>(() => TorchCheckpoint.Load(Golden.Dncnn.File(file)));
        Assert.Contains("refused global", e.Message);
        Assert.True(e.Message.Contains("posix.system") || e.Message.Contains("os.system"), e.Message);
        Assert.False(File.Exists(Golden.MarkerPath), "the command in the pickle ran");
    }

    [Fact]
    public void HandWrittenPickleCallingSystemIsRefusedByName()
    {
        var dir = TestPaths.NewTempDir();
        var marker = Path.Combine(dir, "ran");
        // protocol 2: GLOBAL os.system, the command string, TUPLE1, REDUCE, STOP
        var cmd = Encoding.ASCII.GetBytes($"touch {marker}");
        var bytes = new List<byte> { 0x80, 2 };
        bytes.AddRange(Encoding.ASCII.GetBytes("cos\nsystem\n"));
        bytes.Add((byte)'X');
        bytes.AddRange(BitConverter.GetBytes(cmd.Length));
        bytes.AddRange(cmd);
        bytes.AddRange(new byte[] { 0x85, (byte)'R', (byte)'.' });

        var zipPath = Path.Combine(dir, "evil.pth");
        using (var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create))
        using (var s = zip.CreateEntry("archive/data.pkl").Open())
            s.Write(bytes.ToArray());

        var e = Assert.Throws<CheckpointException>(() => TorchCheckpoint.Load(zipPath));
        Assert.Contains("'os.system'", e.Message);
        Assert.False(File.Exists(marker));
    }

    /// <summary>An opcode outside the allowed set is named by its value, and by its character only where that prints (a NUL went raw into stderr).</summary>
    [Theory]
    [InlineData(0x00, "pickle opcode 0x00 is not allowed")]
    [InlineData((int)'i', "pickle opcode 0x69 ('i') is not allowed")]
    public void AnOpcodeOutsideTheSetIsNamedPrintably(int opcode, string message)
    {
        var e = Assert.Throws<CheckpointException>(() => new PickleReader(new MemoryStream(new byte[] { 0x80, 2, (byte)opcode }), null, "test").Load());
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\0', e.Message);
    }

    [Theory]
    [InlineData("builtins", "eval")]
    [InlineData("subprocess", "Popen")]
    [InlineData("torch.nn.modules.conv", "Conv2d")]
    [InlineData("__builtin__", "getattr")]
    public void OnlyStateDictGlobalsAreAllowed(string module, string name)
    {
        var bytes = new List<byte> { 0x80, 2 };
        bytes.AddRange(Encoding.ASCII.GetBytes($"c{module}\n{name}\n."));
        var e = Assert.Throws<CheckpointException>(() => new PickleReader(new MemoryStream(bytes.ToArray()), null, "test").Load());
        Assert.Contains($"'{module}.{name}'", e.Message);
    }

    [Fact]
    public void TruncatedCheckpointIsAClearError()
    {
        var src = File.ReadAllBytes(TestPaths.SharedData("weights/kair_dncnn_25.pth"));
        var dir = TestPaths.NewTempDir();
        foreach (var cut in new[] { 1, 10, 200, src.Length / 2, src.Length - 3 })
        {
            var path = Path.Combine(dir, $"cut{cut}.pth");
            File.WriteAllBytes(path, src[..cut]);
            var e = Assert.ThrowsAny<ReelException>(() => TorchCheckpoint.Load(path));
            Assert.Contains(path, e.Message);
        }
    }

    [Fact]
    public void NotACheckpointIsRefused()
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "x.pth");
        File.WriteAllText(path, "hello, I am text");
        var e = Assert.Throws<CheckpointException>(() => TorchCheckpoint.Load(path));
        Assert.Contains("not a PyTorch checkpoint", e.Message);
    }
}
