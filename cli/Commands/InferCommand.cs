using System.CommandLine;
using Reel.Engine;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Checkpoints;
using Reel.Engine.Models;
using Reel.Engine.Tensors;

namespace Reel.Cli.Commands;

/// <summary>
/// `reel infer`: one network on a float32 NCHW .npy, exactly the network's tensor semantics
/// (DESIGN §6). DnCNN: x in [0, 1] → x − net(x), not clamped. Colorizer: raw L → ab after the
/// annealed mean and ×4 upsampling.
/// </summary>
public static class InferCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Network to run: dncnn | colorizer | unet", Required = true };
        model.AcceptOnlyFromAmong("dncnn", "colorizer", "unet");
        var weights = new Option<string>("--weights", "-w") { Description = "Checkpoint (.pth or .safetensors)", Required = true };
        var input = new Option<string>("--input", "-i") { Description = "Input tensor, float32 NCHW .npy", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "Output tensor .npy (written atomically)", Required = true };
        var reference = new Option<bool>("--reference") { Description = "Use the scalar reference backend (slow; for verification)" };
        var temperature = ColorizeCommand.TemperatureOption();
        var device = DeviceChoice.CreateOption("cpu");
        var precision = DeviceChoice.PrecisionOption();
        var cmd = new Command("infer", "Run one network on a .npy tensor (scripting and verification). " +
            "dncnn: x in [0, 1] → x − net(x). colorizer: raw L in [0, 100] (N, 1, H, W), H and W multiples of 8 → ab (N, 2, H, W). " +
            "unet: RGB (N, 3, H, W), H and W multiples of 16 → all 3 or 6 outputs.")
            { model, weights, input, output, reference, temperature, device, precision };
        cmd.SetAction(r => CliRunner.Run(() =>
        {
            var x = Npy.Read(r.GetValue(input)!);
            if (x.Shape.Rank != 4) throw new ReelException($"{r.GetValue(input)}: expected an NCHW tensor, got shape {x.Shape}");
            var backend = r.GetValue(reference) ? (Reel.Engine.Backends.IBackend)ReferenceBackend.Instance
                : DeviceChoice.Resolve(r.GetValue(device)!, FastBackend.Instance, r.GetValue(precision));
            using var deviceMemory = backend as IDisposable;
            // The input goes to the device once, the output comes back once.
            using var onDevice = backend.Import(x);
            using var y = Forward(r.GetValue(model)!, r.GetValue(weights)!, onDevice, backend, r.GetValue(temperature));
            var result = y.ToHost();
            TempFile.WriteAtomically(r.GetValue(output)!, tmp => Npy.Write(tmp, result));
            return 0;
        }));
        return cmd;
    }

    private static Tensor Forward(string model, string weights, Tensor x, Reel.Engine.Backends.IBackend backend, float temperature)
    {
        switch (model)
        {
            case "dncnn":
            {
                using var net = DnCnn.Load(weights, backend);
                return net.Forward(x);
            }
            case "colorizer":
            {
                using var net = Colorizer.Load(weights, backend);
                return net.Forward(x, temperature);
            }
            case "unet":
            {
                using var net = VideoPrior.Load(weights);
                net.MoveTo(backend);
                return net.Forward(x, backend);
            }
            default:
                throw new ReelException($"unknown model '{model}'");
        }
    }
}
