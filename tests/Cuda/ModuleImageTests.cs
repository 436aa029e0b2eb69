using System.Text;
using Reel.Engine;
using Reel.Engine.Backends.Cuda;

namespace Reel.Tests.Cuda;

/// <summary>What a GPU's kernels are loaded as: its own machine code where NVRTC knows its architecture, PTX only beyond that.</summary>
public class ModuleImageTests
{
    private static readonly int[] Nvrtc13 = { 75, 80, 86, 87, 88, 89, 90, 100, 103, 110, 120, 121 };

    [Theory]
    [InlineData(90, 90, true)]   // H100, H200: sm_90 machine code, no JIT, whatever the driver's minor version
    [InlineData(80, 80, true)]
    [InlineData(120, 120, true)]
    [InlineData(130, 121, false)] // a GPU newer than this NVRTC: PTX of the newest it knows, compiled forward by the driver
    [InlineData(91, 90, false)]
    public void TheGpusOwnMachineCodeWhereNvrtcKnowsIt(int capability, int arch, bool machineCode)
    {
        Assert.Equal((arch, machineCode), DriverDevice.ModuleTarget(capability, Nvrtc13));
    }

    [Fact]
    public void AGpuOlderThanNvrtcIsRefusedNamingBoth()
    {
        var e = Assert.Throws<ReelException>(() => DriverDevice.ModuleTarget(70, Nvrtc13));
        Assert.Contains("sm_70", e.Message);
        Assert.Contains("sm_75 to sm_121", e.Message);
    }

    /// <summary>This machine's NVRTC (installed by build.sh, DESIGN §4) builds machine code for Ampere and Hopper: ELF images holding the kernels.</summary>
    [Fact]
    public void NvrtcBuildsMachineCodeForAmpereAndHopper()
    {
        Assert.True(NvrtcCompiler.IsAvailable(out var reason), reason);
        var supported = NvrtcCompiler.SupportedArchitectures();
        Assert.Contains(80, supported);
        Assert.Contains(90, supported);
        Assert.Equal(supported.Order(), supported);
        foreach (var arch in new[] { 80, 90 })
        {
            var cubin = NvrtcCompiler.CompileMachineCode("lab.cu", arch);
            Assert.Equal(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F' }, cubin[..4]);
            var text = Encoding.ASCII.GetString(cubin);
            foreach (var kernel in KernelSources.Kernels.Where(k => k.File == "lab.cu"))
                Assert.Contains(kernel.Name, text);
        }
    }
}
