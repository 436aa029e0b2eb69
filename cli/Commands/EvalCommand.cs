using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Metrics;
using Reel.Engine.Models;
using Spectre.Console;

namespace Reel.Cli.Commands;

/// <summary>
/// `reel eval denoise`: PSNR/SSIM of a DnCNN checkpoint on a folder of images; `reel eval temporal`:
/// the temporal quality of a sequence against its input (DESIGN §6).
/// </summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var eval = new Command("eval", "Score a stage on a dataset.");
        var weights = new Option<string>("--weights", "-w") { Description = "DnCNN checkpoint (.pth or .safetensors)", Required = true };
        var dataset = new Option<string>("--dataset") { Description = "Folder of clean images (e.g. Set12, BSD68)", Required = true };
        var sigma = new Option<double>("--sigma") { Description = "Gaussian noise level on the 0–255 scale", Required = true };
        var seed = new Option<int>("--seed") { Description = "Seed of the noise stream", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "End with one JSON line: mean_psnr, mean_ssim, images, seconds" };
        var denoise = new Command("denoise", "Add N(0, σ/255) noise to each image, denoise, report PSNR and SSIM.") { weights, dataset, sigma, seed, json };
        denoise.SetAction(r => CliRunner.Run(() =>
        {
            var model = DnCnn.Load(r.GetValue(weights)!, FastBackend.Instance);
            double s = r.GetValue(sigma);
            var report = DenoiseEvaluation.Run(model, r.GetValue(dataset)!, s, r.GetValue(seed),
                img => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {img.Name}: {img.Psnr:F3} dB, SSIM {img.Ssim:F4} ({img.Milliseconds:F0} ms)")));
            PrintTable(report, model, s);
            if (r.GetValue(json))
            {
                var summary = new EvalSummary(Math.Round(report.MeanPsnr, 4), Math.Round(report.MeanSsim, 5), report.Images.Count,
                    s, r.GetValue(seed), model.Depth, Math.Round(report.Seconds, 2));
                Console.Out.WriteLine(JsonSerializer.Serialize(summary, CliJson.Output.EvalSummary));
            }
            return 0;
        }));
        eval.Subcommands.Add(denoise);
        eval.Subcommands.Add(Temporal());
        return eval;
    }

    private static Command Temporal()
    {
        var input = new Option<string>("--input") { Description = "The original frames the flow is computed on: a folder of images (in the order of the numbers in their names) or a video", Required = true };
        var output = new Option<string>("--output") { Description = "The frames to score, paired with the input in order", Required = true };
        var processed = new Option<string?>("--processed") { Description = "The per-frame processed frames, for psnr_processed" };
        var frames = new Option<int>("--frames") { Description = "Score only the first N frames (0: all)", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "End with one JSON line: warp_error, warp_floor, cdc, colorfulness, detail, psnr_processed, frames, then warp_error_lai, warp_floor_lai, cdc_256" };
        var deinterlace = DeinterlaceChoice.CreateOption("scoring, as the restore of --output did");
        var temporal = new Command("temporal", "Warp error along the input's optical flow (and the input's own as the floor), CDC, colourfulness, detail, PSNR to processed.")
            { input, output, processed, frames, json, deinterlace };
        temporal.SetAction(r => CliRunner.Run(() =>
        {
            // A count that rewrites itself on a terminal; nothing in a log, where it would only add lines.
            bool live = !Console.IsErrorRedirected;
            TemporalReport report;
            try
            {
                report = TemporalEvaluation.Run(r.GetValue(input)!, r.GetValue(output)!, r.GetValue(processed), r.GetValue(frames), FastBackend.Instance,
                    live ? n => Console.Error.Write($"\r  scored {n} frames") : null, DeinterlaceChoice.Parse(r.GetValue(deinterlace)!));
            }
            finally
            {
                if (live) Console.Error.WriteLine();
            }
            static string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
            // A still clip's floor is 0: no ratio to give, where the table read NaN or Infinity.
            static string Ratio(double error, double floor) => floor > 0 ? F(error / floor, "F2") : "—";
            var table = new Table().Title($"temporal quality, {report.Frames} frames");
            table.AddColumn("warp error").AddColumn("warp floor").AddColumn("× floor").AddColumn("CDC").AddColumn("colourfulness").AddColumn("detail").AddColumn("PSNR to processed");
            table.AddRow(F(report.WarpError, "F4"), F(report.WarpFloor, "F4"), Ratio(report.WarpError, report.WarpFloor), F(report.Cdc, "G3"),
                F(report.Colorfulness, "F1"), F(report.Detail, "F3"), report.PsnrProcessed is { } p ? F(p, "F2") + " dB" : "—");
            AnsiConsole.Write(table);
            // The same sequence as the papers score it, for figures to set beside theirs.
            var papers = new Table().Title("as the papers define them: Lai et al.'s warp error (squared; motion boundaries left out too), TCVC's CDC (256 bins)");
            papers.AddColumn("warp error (Lai)").AddColumn("warp floor (Lai)").AddColumn("× floor").AddColumn("CDC (256 bins)");
            papers.AddRow(F(report.WarpErrorLai, "G4"), F(report.WarpFloorLai, "G4"), Ratio(report.WarpErrorLai, report.WarpFloorLai), F(report.Cdc256, "G3"));
            AnsiConsole.Write(papers);
            if (r.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new TemporalSummary(report.WarpError, report.WarpFloor, report.Cdc, report.Colorfulness,
                    report.Detail, report.PsnrProcessed, report.Frames, report.WarpErrorLai, report.WarpFloorLai, report.Cdc256), CliJson.Output.TemporalSummary));
            }
            return 0;
        }));
        return temporal;
    }

    private static void PrintTable(DenoiseReport report, DnCnn model, double sigma)
    {
        var table = new Table().Title($"DnCNN-{model.Depth} ({model.Channels} ch), σ = {sigma.ToString(CultureInfo.InvariantCulture)}");
        table.AddColumn("image").AddColumn(new TableColumn("size").RightAligned())
            .AddColumn(new TableColumn("PSNR dB").RightAligned()).AddColumn(new TableColumn("SSIM").RightAligned())
            .AddColumn(new TableColumn("ms").RightAligned());
        foreach (var i in report.Images)
            table.AddRow(Markup.Escape(i.Name), $"{i.Width}×{i.Height}", i.Psnr.ToString("F3", CultureInfo.InvariantCulture),
                i.Ssim.ToString("F4", CultureInfo.InvariantCulture), i.Milliseconds.ToString("F0", CultureInfo.InvariantCulture));
        table.AddRow("[bold]mean[/]", "", $"[bold]{report.MeanPsnr.ToString("F3", CultureInfo.InvariantCulture)}[/]",
            $"[bold]{report.MeanSsim.ToString("F4", CultureInfo.InvariantCulture)}[/]", report.Seconds.ToString("F1", CultureInfo.InvariantCulture) + " s");
        AnsiConsole.Write(table);
    }
}
