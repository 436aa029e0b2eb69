using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Reel.Engine;
using Reel.Engine.Backends.Cuda;

namespace Reel.Cli.Commands;

/// <summary>
/// `reel selftest --device cuda|emu [--json] [--precision …] [--small]`: every kernel and backend op, forward
/// and backward, against the CPU reference on the device, then DnCNN, the colorizer and one prior
/// training step against the CPU backend (<see cref="SelfTest"/>). One line per check; with --json
/// the last line is {"device", "precision", "passed", "failed", "cases": [{"name", "max_rel_err", "tolerance", "ok", "detail"}]}.
/// Exit 1 when a check fails.
/// </summary>
public static class SelfTestCommand
{

    public static Command Create()
    {
        var device = new Option<string>("--device") { Description = "cuda (a GPU) | emu (the emulated device and cuDNN: small sizes, arithmetic on the CPU)", DefaultValueFactory = _ => "cuda" };
        device.AcceptOnlyFromAmong("cuda", "emu");
        var precision = DeviceChoice.PrecisionOption();
        var json = new Option<bool>("--json") { Description = "End with one JSON line: device, precision, passed, failed, cases (name, max_rel_err, tolerance, ok, detail)" };
        var small = new Option<bool>("--small") { Description = "The emulator's small sizes on a GPU too (no 1080p planes): quick, for compute-sanitizer" };
        var cmd = new Command("selftest", "Check every kernel, op and network on a CUDA device against the CPU") { device, precision, json, small };
        cmd.SetAction(r => CliRunner.Run(() =>
        {
            using var gpu = DeviceChoice.OpenCuda(r.GetValue(device)!, r.GetValue(precision));
            bool large = gpu.Device.ComputeCapability > 0 && !r.GetValue(small);
            int rows = 0;
            var cases = SelfTest.Run(gpu, large, c =>
            {
                rows++;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{(c.Ok ? "ok  " : "FAIL")} {c.Name,-32} rel. error {c.MaxRelativeError:G3} (≤ {c.Tolerance:G3}) {c.Detail}"));
            });
            int failed = cases.Count(c => !c.Ok);
            // A check is a name, run at one size or several (a row each): 166 rows ended "62 of 62 checks".
            Console.WriteLine($"{cases.Count - failed} of {cases.Count} checks passed ({rows} rows above: a check's sizes each) on {gpu.Device.Description} ({gpu.ConvolutionEngine})");
            foreach (var c in cases.Where(c => !c.Ok)) Console.WriteLine($"failed: {c.Name}: {c.Detail}");
            if (r.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new SelfTestReport(gpu.Device.Description, gpu.Precision.ToString().ToLowerInvariant(), cases.Count - failed, failed,
                    cases.Select(c => new SelfTestRow(c.Name, double.IsFinite(c.MaxRelativeError) ? c.MaxRelativeError : null, c.Tolerance, c.Ok, c.Detail)).ToArray()),
                    CliJson.Output.SelfTestReport));
            return failed == 0 ? 0 : CliRunner.UserError;
        }));
        return cmd;
    }
}
