using System.CommandLine;
using Reel.Engine;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cuda;

namespace Reel.Cli.Commands;

/// <summary>`--device auto|cpu|cuda`, shared by the commands that run networks.</summary>
public static class DeviceChoice
{
    public static Option<string> CreateOption(string defaultDevice = "auto")
    {
        var device = new Option<string>("--device")
        {
            Description = "auto (CUDA when a usable GPU, driver, NVRTC and cuDNN are present, else CPU) | cpu | cuda",
            DefaultValueFactory = _ => defaultDevice,
        };
        device.AcceptOnlyFromAmong("auto", "cpu", "cuda");
        return device;
    }

    /// <summary>
    /// The backend for <paramref name="device"/>: cuda without a usable GPU is an error that
    /// says why; auto falls back to <paramref name="cpu"/> and says why on stderr, in one line.
    /// </summary>
    public static IBackend Resolve(string device, IBackend cpu)
    {
        if (device == "cpu") return cpu;
        var cuda = CudaBackend.TryCreate(out var reason);
        if (cuda is not null)
        {
            Console.Error.WriteLine($"device: cuda ({cuda.Device.Description})");
            return cuda;
        }
        if (device == "cuda") throw new ReelException($"--device cuda: {reason}; use --device cpu or auto");
        Console.Error.WriteLine($"device: cpu (CUDA unavailable: {reason})");
        return cpu;
    }
}
