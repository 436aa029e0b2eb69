using System.CommandLine;
using System.Diagnostics;
using Reel.Engine;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Models;
using Reel.Engine.Pipeline;
using Reel.Engine.Video;

namespace Reel.Cli.Commands;

/// <summary>`reel denoise IN OUT --weights W`: one image through DnCNN.</summary>
public static class DenoiseCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "Image to denoise (PNG, JPEG, BMP, TIFF), a video or a folder of frames" };
        var output = new Argument<string>("output") { Description = "Where to write the result (an image, a video or a new folder, like the input); written atomically" };
        var progress = new ProgressChoice();
        var resume = RestoreCommand.ResumeOption();
        var strict = RestoreCommand.StrictOption();
        var weights = new Option<string>("--weights", "-w") { Description = "DnCNN checkpoint (.pth or .safetensors)", Required = true };
        var deinterlace = DeinterlaceChoice.CreateOption("denoising");
        var fps = FolderRate.CreateOption();
        var cmd = new Command("denoise", "Remove noise from an image, a video or a folder of frames with DnCNN (gray or colour checkpoint).")
            { input, output, weights, progress.Progress, progress.NoProgress, resume, strict, deinterlace, fps };
        cmd.SetAction((r, cancel) => Task.FromResult(CliRunner.Run(() =>
        {
            string inPath = r.GetValue(input)!, outPath = r.GetValue(output)!;
            if (!File.Exists(inPath) && !Directory.Exists(inPath)) throw new ReelException($"input not found: {inPath}");
            FolderRate.RefuseUnlessFolder(r, fps, inPath);
            RefuseForAnImage(r, inPath, outPath, resume, strict, deinterlace);
            var model = DnCnn.Load(r.GetValue(weights)!, FastBackend.Instance);
            if (Directory.Exists(inPath) || VideoFile.IsVideoPath(inPath))
            {
                var options = new RestoreOptions { Denoiser = model, Stabilize = false, Resume = r.GetValue(resume), Strict = r.GetValue(strict),
                    Deinterlace = DeinterlaceChoice.Parse(r.GetValue(deinterlace)!), FolderFrameRate = r.GetValue(fps)! };
                RestoreCommand.RunSequence(inPath, outPath, options, FastBackend.Instance, progress.Resolve(r), cancel);
                Console.Error.WriteLine($"denoised {inPath} → {outPath}");
                return 0;
            }
            var x = ImageIO.Read(inPath, model.Channels == 1 ? PixelFormat.Gray8 : PixelFormat.Rgb24);
            // A colour image through a gray DnCNN comes out gray: said, as restore says it of a colour film.
            if (model.Channels == 1 && ImageIO.HasColour(ImageIO.Read(inPath, PixelFormat.Rgb24)))
                Console.Error.WriteLine($"note: {inPath} is in colour and this DnCNN is a gray one: the output is gray (a colour checkpoint, such as dncnn_color_blind, keeps the colours)");
            // The restore's memory plan, default budget: an image too large for DnCNN's activations goes in tiles.
            long tilePixels = MemoryPlan.For(x.Shape.W, x.Shape.H, new RestoreOptions { Denoiser = model, Stabilize = false }).DenoiseTilePixels;
            var grid = model.TilesFor(x.Shape, tilePixels);
            var sw = Stopwatch.StartNew();
            var y = model.Forward(x, tilePixels);
            ImageIO.Write(outPath, y);
            string tiles = grid.Whole ? "" : $", in {grid.Tiles.Count} tiles of {grid.WindowWidth}×{grid.WindowHeight}";
            Console.Error.WriteLine($"denoised {inPath} ({x.Shape.W}×{x.Shape.H}, DnCNN-{model.Depth}{tiles}) in {sw.Elapsed.TotalSeconds:F2} s → {outPath}");
            return 0;
        }, cancel, () => RestoreCommand.WhatIsKept(r.GetValue(output)!), progress.EndLine(r))));
        return cmd;
    }

    /// <summary>
    /// For a single image: refuses the output that is the input (it was written over), and the options that only a video
    /// or a folder uses (they were accepted and dropped without a word).
    /// </summary>
    internal static void RefuseForAnImage(ParseResult r, string inPath, string outPath, params Option[] sequenceOnly)
    {
        if (Directory.Exists(inPath) || VideoFile.IsVideoPath(inPath)) return;
        if (FileIdentity.Same(inPath, outPath)) throw new ReelException($"output {outPath} is the input {inPath}; choose another path");
        GivenOptions.RefuseUnused(r, sequenceOnly, $"{inPath} is a single image");
    }
}
