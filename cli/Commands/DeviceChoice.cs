using System.CommandLine;
using Reel.Emulation;
using Reel.Engine;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Backends.Cuda;

namespace Reel.Cli.Commands;

/// <summary>`--device auto|cpu|cuda|emu` and `--precision fp32|tf32|bf16`, shared by the commands that run networks.</summary>
public static class DeviceChoice
{
    public static Option<string> CreateOption(string defaultDevice = "auto")
    {
        var device = new Option<string>("--device")
        {
            Description = "auto (CUDA when a usable GPU, driver, NVRTC and cuDNN are present, else CPU) | cpu | cuda | " +
                          "emu (the CUDA code path on an emulated device: its kernels and cuDNN computed on the CPU; for verification, slow)",
            DefaultValueFactory = _ => defaultDevice,
        };
        device.AcceptOnlyFromAmong("auto", "cpu", "cuda", "emu");
        return device;
    }

    public static Option<string?> PrecisionOption()
    {
        var precision = new Option<string?>("--precision")
        {
            Description = "GPU convolutions: fp32 (the reference: no tensor cores, GEMM-family algorithms only) | tf32 (tensor cores; the default on sm_80 and newer) | bf16 (operands rounded to bfloat16)",
        };
        precision.AcceptOnlyFromAmong("fp32", "tf32", "bf16");
        return precision;
    }

    /// <summary>
    /// The backend for <paramref name="device"/>: cuda without a usable GPU is an error that says
    /// why; auto falls back to <paramref name="cpu"/> and says why on stderr, in one line; emu is the
    /// CUDA backend on the emulated device and cuDNN (fp32 unless told: their arithmetic is the CPU's, each
    /// precision's rounding emulated). The caller disposes what it gets (a GPU backend holds device memory;
    /// the CPU backends hold nothing).
    /// </summary>
    public static IBackend Resolve(string device, IBackend cpu, string? precision = null)
    {
        RefusePrecisionOnCpu(device, precision);
        if (device == "cpu") return cpu;
        if (device == "emu") return OpenCuda(device, precision);
        var cuda = CudaBackend.TryCreate(Parse(precision), out var reason);
        if (cuda is not null)
        {
            Console.Error.WriteLine($"device: cuda ({cuda.Device.Description}, {cuda.ConvolutionEngine})");
            return cuda;
        }
        if (device == "cuda") throw new ReelException($"--device cuda: {reason}; use --device cpu or auto");
        Console.Error.WriteLine($"device: cpu (CUDA unavailable: {reason}){(precision is null ? "" : $"; --precision {precision} does not apply: the CPU computes in fp32")}");
        return cpu;
    }

    /// <summary>Refuses --precision with --device cpu: it was accepted and dropped without a word (--precision bf16 ran in fp32).</summary>
    public static void RefusePrecisionOnCpu(string device, string? precision)
    {
        if (device == "cpu" && precision is not null)
            throw new UsageException($"--precision {precision} is for the GPU's convolutions, and --device cpu computes in fp32; drop it");
    }

    /// <summary>The CUDA backend on the GPU ("cuda") or the emulated device ("emu"); no GPU is an error that says why.</summary>
    public static CudaBackend OpenCuda(string device, string? precision)
    {
        var chosen = Parse(precision);
        if (device == "emu")
        {
            bool measure = CudaBackend.MeasuresAlgorithms(), graphs = CudaBackend.UsesGraphs();
            var emulated = EmulatedDevice.Open(EmulatedDevice.LocateLibrary());
            var convolutions = EmulatedCudnn.Convolutions(emulated, FastBackend.Training, chosen ?? Precision.Fp32, measure);
            Console.Error.WriteLine($"device: emu ({emulated.Description}, {convolutions.Name})");
            return new CudaBackend(emulated, convolutions, graphs);
        }
        // Only selftest asks for a GPU this way, and it takes cuda or emu: "use --device cpu or auto" was refused by it.
        var cuda = CudaBackend.TryCreate(chosen, out var reason)
                   ?? throw new ReelException($"--device cuda: {reason}; --device emu checks the same code on the emulated device");
        Console.Error.WriteLine($"device: cuda ({cuda.Device.Description}, {cuda.ConvolutionEngine})");
        return cuda;
    }

    private static Precision? Parse(string? precision) => precision switch
    {
        null => null,
        "fp32" => Precision.Fp32,
        "tf32" => Precision.Tf32,
        "bf16" => Precision.Bf16,
        _ => throw new UsageException($"--precision must be fp32, tf32 or bf16, got '{precision}'"),
    };
}
