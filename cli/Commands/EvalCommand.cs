using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Metrics;
using Reel.Engine.Models;
using Spectre.Console;

namespace Reel.Cli.Commands;

/// <summary>`reel eval denoise`: PSNR/SSIM of a DnCNN checkpoint on a folder of images (DESIGN §6).</summary>
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
        return eval;
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
