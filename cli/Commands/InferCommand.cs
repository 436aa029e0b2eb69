using System.CommandLine;
using Reel.Engine;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Checkpoints;
using Reel.Engine.Models;
using Reel.Engine.Tensors;
using Reel.Engine.Training;

namespace Reel.Cli.Commands;

/// <summary>
/// `reel infer`: one network on a float32 NCHW .npy, exactly the network's tensor semantics
/// (DESIGN §6). DnCNN: x in [0, 1] → x − net(x), not clamped. Colorizer: raw L → ab after the
/// annealed mean and ×4 upsampling. U-Net with --train-step: one training step of the prior
/// (its loss, every gradient, the weights after Adam) as a .safetensors file, for comparing a
/// backend's step with PyTorch's (bench/gpu).
/// </summary>
public static class InferCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Network to run: dncnn | colorizer | unet", Required = true };
        model.AcceptOnlyFromAmong("dncnn", "colorizer", "unet");
        var weights = new Option<string>("--weights", "-w") { Description = "Checkpoint (.pth or .safetensors)", Required = true };
        var input = new Option<string>("--input", "-i") { Description = "Input tensor, NCHW .npy of float32 (float16 and float64 are converted; either byte order)", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "Output tensor .npy, or .safetensors with --train-step (written atomically)", Required = true };
        var reference = new Option<bool>("--reference") { Description = "Use the scalar reference backend (slow; for verification)" };
        var temperature = ColorizeCommand.TemperatureOption();
        var device = DeviceChoice.CreateOption("cpu");
        var precision = DeviceChoice.PrecisionOption();
        var trainStep = new Option<string>("--train-step")
        {
            Description = "unet only: the processed frame (.npy, the input's shape); instead of the forward, one training step " +
                          "(IRT with 6 outputs, else L1; Adam, lr 1e-4) is taken and --output gets a .safetensors of 'loss', " +
                          "'grad.NAME' and 'weight.NAME' (after the step) for every parameter",
        };
        var cmd = new Command("infer", "Run one network on a .npy tensor (scripting and verification). " +
            "dncnn: x in [0, 1] → x − net(x). colorizer: raw L in [0, 100] (N, 1, H, W), H and W multiples of 8 → ab (N, 2, H, W). " +
            "unet: RGB (N, 3, H, W), H and W multiples of 16 → all 3 or 6 outputs.")
            { model, weights, input, output, reference, temperature, device, precision, trainStep };
        cmd.SetAction(r => CliRunner.Run(() =>
        {
            RefuseOtherFormat(r.GetValue(output)!, r.GetValue(trainStep) is not null);
            if (r.GetValue(model) != "colorizer") GivenOptions.RefuseUnused(r, [temperature], $"it is the colorizer's, and --model is {r.GetValue(model)}");
            // The reference runs on the host, on no device: a parity script given both took its figures for the device's.
            if (r.GetValue(reference))
                GivenOptions.RefuseUnused(r, r.GetValue(device) == "cpu" ? [precision] : [device, precision], "--reference runs the scalar reference on the CPU");
            var x = Npy.ReadFloats(r.GetValue(input)!);
            if (x.Shape.Rank != 4) throw new ReelException($"{r.GetValue(input)}: expected an NCHW tensor, got shape {x.Shape}");
            // An empty batch divided by zero deep in a network ("internal error").
            if (x.Length == 0) throw new ReelException($"{r.GetValue(input)}: the tensor holds nothing (shape {x.Shape}); give at least one image");
            if (FileIdentity.Same(r.GetValue(input)!, r.GetValue(output)!))
                throw new ReelException($"--output {r.GetValue(output)} is the input; choose another path");
            var backend = r.GetValue(reference) ? (Reel.Engine.Backends.IBackend)ReferenceBackend.Instance
                : DeviceChoice.Resolve(r.GetValue(device)!, FastBackend.Instance, r.GetValue(precision));
            using var deviceMemory = backend as IDisposable;
            // The input goes to the device once, the output comes back once.
            using var onDevice = backend.Import(x);
            if (r.GetValue(trainStep) is { } processedPath)
            {
                if (r.GetValue(model) != "unet") throw new UsageException("--train-step is for --model unet");
                var tensors = TrainStep(r.GetValue(weights)!, onDevice, Npy.ReadFloats(processedPath), processedPath, backend);
                TempFile.WriteAtomically(r.GetValue(output)!, tmp => Safetensors.Write(tmp, tensors));
                return 0;
            }
            using var y = Forward(r.GetValue(model)!, r.GetValue(weights)!, onDevice, backend, r.GetValue(temperature));
            var result = y.ToHost();
            TempFile.WriteAtomically(r.GetValue(output)!, tmp => Npy.Write(tmp, result));
            return 0;
        }));
        return cmd;
    }

    /// <summary>
    /// A forward writes .npy and a training step .safetensors; an output named otherwise (another tensor
    /// format, an image) would hold what its name denies, and a script reading it back would fail far from here.
    /// </summary>
    private static void RefuseOtherFormat(string output, bool trainStep)
    {
        string written = trainStep ? ".safetensors" : ".npy";
        if (!output.EndsWith(written, StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"{output}: {(trainStep ? "--train-step" : "a forward")} writes {written}; name the output *{written}");
    }

    /// <summary>One training step from the checkpoint's weights: the loss, each gradient and each weight after Adam, brought to the host.</summary>
    private static List<(string Name, Tensor Tensor)> TrainStep(string weights, Tensor x, Tensor processed, string processedPath, Reel.Engine.Backends.IBackend backend)
    {
        if (!processed.Shape.Equals(x.Shape)) throw new ReelException($"{processedPath}: shape {processed.Shape}, the input's is {x.Shape}");
        using var net = VideoPrior.Load(weights);
        if (x.Shape.N != 1 || x.Shape.C != 3) throw new ReelException($"--train-step takes one RGB frame (1, 3, H, W), got {x.Shape}");
        net.MoveTo(backend);
        using var trainer = new PriorTrainer(net, backend);
        using var target = backend.Import(processed);
        double loss = trainer.Step(net.OutChannels == 6 ? PriorLossKind.Irt : PriorLossKind.L1, x, target, x.Shape.H, x.Shape.W);
        var tensors = new List<(string, Tensor)> { ("loss", new Tensor(new Shape(1), new[] { (float)loss })) };
        foreach (var (name, g) in trainer.Gradients) tensors.Add(("grad." + name, g.ToHost()));
        foreach (var (name, p) in net.Parameters) tensors.Add(("weight." + name, p.ToHost()));
        return tensors;
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
