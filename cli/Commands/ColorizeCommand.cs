using System.CommandLine;
using System.Globalization;
using System.Diagnostics;
using Reel.Engine;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Models;
using Reel.Engine.Pipeline;
using Reel.Engine.Video;

namespace Reel.Cli.Commands;

/// <summary>`reel colorize IN OUT --weights W [--temperature T]`: one image through the ECCV16 colorizer.</summary>
public static class ColorizeCommand
{
    public const string TemperatureHelp =
        "Softmax temperature of the annealed mean (default 1: exactly the released PyTorch port's forward, " +
        "whose weights may already fold in the paper's 1/T = 2.606; 0.38 is the paper's annealed mean — more saturated)";

    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "Image to colorize (gray or colour; PNG, JPEG, BMP, TIFF), a video or a folder of frames" };
        var output = new Argument<string>("output") { Description = "Where to write the result (an image, a video or a new folder, like the input); written atomically" };
        var progress = new ProgressChoice();
        var resume = RestoreCommand.ResumeOption();
        var strict = RestoreCommand.StrictOption();
        var weights = new Option<string>("--weights", "-w") { Description = "ECCV16 checkpoint (colorization_release_v2-9b330a0b.pth)", Required = true };
        var temperature = TemperatureOption();
        var deinterlace = DeinterlaceChoice.CreateOption("colorizing");
        var fps = FolderRate.CreateOption();
        var cmd = new Command("colorize", "Colorize an image, a video or a folder of frames with the ECCV16 313-bin colorizer (Zhang, Isola, Efros).")
            { input, output, weights, temperature, progress.Progress, progress.NoProgress, resume, strict, deinterlace, fps };
        cmd.SetAction((r, cancel) => Task.FromResult(CliRunner.Run(() =>
        {
            string inPath = r.GetValue(input)!, outPath = r.GetValue(output)!;
            if (!File.Exists(inPath) && !Directory.Exists(inPath)) throw new ReelException($"input not found: {inPath}");
            FolderRate.RefuseUnlessFolder(r, fps, inPath);
            DenoiseCommand.RefuseForAnImage(r, inPath, outPath, resume, strict, deinterlace);
            var net = Colorizer.Load(r.GetValue(weights)!, FastBackend.Instance);
            if (Directory.Exists(inPath) || VideoFile.IsVideoPath(inPath))
            {
                var options = new RestoreOptions
                {
                    Colorizer = net, Temperature = r.GetValue(temperature), Stabilize = false, Resume = r.GetValue(resume),
                    Strict = r.GetValue(strict), Deinterlace = DeinterlaceChoice.Parse(r.GetValue(deinterlace)!), FolderFrameRate = r.GetValue(fps)!,
                };
                RestoreCommand.RunSequence(inPath, outPath, options, FastBackend.Instance, progress.Resolve(r), cancel);
                Console.Error.WriteLine($"colorized {inPath} → {outPath}");
                return 0;
            }
            var rgb = ImageIO.Read(inPath, PixelFormat.Rgb24);
            var sw = Stopwatch.StartNew();
            var colour = new ColorizeStage(net, FastBackend.Instance).Colorize(rgb, r.GetValue(temperature));
            ImageIO.Write(outPath, colour);
            Console.Error.WriteLine($"colorized {inPath} ({rgb.Shape.W}×{rgb.Shape.H}, T = {r.GetValue(temperature)}) in {sw.Elapsed.TotalSeconds:F2} s → {outPath}");
            return 0;
        }, cancel, () => RestoreCommand.WhatIsKept(r.GetValue(output)!), progress.EndLine(r))));
        return cmd;
    }

    public static Option<float> TemperatureOption()
    {
        var t = new Option<float>("--temperature", "-t")
        {
            Description = TemperatureHelp,
            DefaultValueFactory = _ => ColorizeStage.DefaultTemperature,
        };
        t.Validators.Add(v =>
        {
            // A value that is no number already has its parse error, and reading it would throw.
            if (v.Tokens.Count != 1 || !float.TryParse(v.Tokens[0].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out float value)) return;
            if (!(value > 0) || !float.IsFinite(value)) v.AddError($"--temperature must be a positive number, got {value}");
        });
        return t;
    }
}
