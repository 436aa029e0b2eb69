using System.Diagnostics;
using System.Text.Json;
using Reel.Tests.Support;

namespace Reel.Tests.Cuda;

/// <summary>
/// bench/gpu/device.sh --dry-run: every stage of the H200 device check on the emulated device and
/// CPU PyTorch at tiny sizes, so the script, its parsing and its closing table are proven here
/// before a GPU minute is spent. It asserts the plumbing, not the figures: each stage ran and its
/// key figures were parsed.
/// </summary>
public class GpuCheckDryRunTests
{
    /// <summary>Anything but --dry-run (a --help, a typo) ran the GPU check, emptying the last run's results first: refused, with the usage.</summary>
    [Fact]
    public void AnUnknownArgumentIsRefusedBeforeAnythingIsWritten()
    {
        var out_ = Path.Combine(TestPaths.NewTempDir(), "out");
        var psi = new ProcessStartInfo("bash", new[] { Path.Combine(TestPaths.RepoRoot, "bench", "gpu", "device.sh"), "--dryrun" })
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["OUT"] = out_;
        using var p = Process.Start(psi)!;
        string errors = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(2, p.ExitCode);
        Assert.StartsWith("usage: bash bench/gpu/device.sh [--dry-run]", errors);
        Assert.False(Directory.Exists(out_));
    }

    [Fact]
    public async Task DryRunRunsEveryStageAndPrintsTheTable()
    {
        var out_ = TestPaths.NewTempDir();
        var psi = new ProcessStartInfo("bash", new[] { Path.Combine(TestPaths.RepoRoot, "bench", "gpu", "device.sh"), "--dry-run" })
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = TestPaths.RepoRoot,
        };
        psi.Environment["OUT"] = out_;
        psi.Environment["WORK"] = TestPaths.NewTempDir();
        psi.Environment["BUDGET_S"] = "1500";
        psi.Environment["REEL"] = "dotnet " + Path.Combine(AppContext.BaseDirectory, "reel.dll");
        psi.Environment["REEL_KERNELS_EMU"] = Path.Combine(TestPaths.RepoRoot, "build", "libreel_kernels_emu.so");
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        await p.WaitForExitAsync();
        string errors = await stderr;
        string log = File.Exists(Path.Combine(out_, "all.log")) ? File.ReadAllText(Path.Combine(out_, "all.log")) : "(no all.log)";
        Assert.True(p.ExitCode == 0, stdout + errors);
        Assert.Contains("DRY RUN", stdout);

        var stages = File.ReadAllLines(Path.Combine(out_, "results.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(e => e.GetProperty("stage").GetString()!);
        foreach (var name in new[] { "env", "kernels", "selftest-fp32", "selftest-tf32", "selftest-bf16", "parity", "bench-reel-dncnn-fp32", "bench-reel-colorizer-fp32", "bench-reel-unet-fp32", "bench-torch", "restore", "loss-curves" })
        {
            Assert.True(stages.ContainsKey(name), $"no {name} stage in results.jsonl:\n{log}");
            Assert.True(stages[name].GetProperty("status").GetString() == "ok", $"{name}: {stages[name]}\n{log}");
        }
        Assert.Equal("skipped", stages["sanitizer-memcheck"].GetProperty("status").GetString());
        Assert.Equal("skipped", stages["sanitizer-racecheck"].GetProperty("status").GetString());
        foreach (var precision in new[] { "fp32", "tf32", "bf16" })
            Assert.Equal(0, stages[$"selftest-{precision}"].GetProperty("failed").GetInt32());
        Assert.True(stages["kernels"].GetProperty("compiled").GetInt32() > 40, stages["kernels"].ToString());
        foreach (var model in new[] { "dncnn", "colorizer", "unet" })
        {
            Assert.True(stages[$"bench-reel-{model}-fp32"].GetProperty("device_median_ms").GetDouble() > 0);
            Assert.True(stages[$"bench-reel-{model}-fp32"].GetProperty("restore_device_median_ms").GetDouble() > 0);
            // The memory-bound layers, timed on the device, for the table's share of the copy bandwidth.
            Assert.NotEmpty(stages[$"bench-reel-{model}-fp32"].GetProperty("memory_bound").EnumerateArray());
        }
        // Reel on the emulated device and on the CPU, and PyTorch, each against float64, and none NaN.
        var parity = stages["parity"].GetProperty("rows").EnumerateArray().ToArray();
        foreach (var engine in new[] { "reel", "torch" })
        foreach (var model in new[] { "dncnn", "dncnn25", "colorizer", "unet" })
            Assert.Contains(parity, r => r.GetProperty("engine").GetString() == engine && r.GetProperty("model").GetString() == model
                && r.GetProperty("precision").GetString() == "fp32" && r.GetProperty("rel_l2").ValueKind == JsonValueKind.Number
                && r.GetProperty("rel_l2").GetDouble() < 1e-4);
        // One training step (reel infer --train-step) on the CPU and on the emulated device: its gradients against float64.
        foreach (var device in new[] { "cpu", "emu" })
            Assert.Contains(parity, r => r.GetProperty("model").GetString() == "prior_step" && r.GetProperty("engine").GetString() == "reel"
                && r.GetProperty("device").GetString() == device && r.GetProperty("rel_l2").ValueKind == JsonValueKind.Number
                && r.GetProperty("rel_l2").GetDouble() < 1e-4 && r.GetProperty("loss_rel").GetDouble() < 1e-5);
        Assert.True(stages["bench-torch"].GetProperty("copy").GetProperty("gb_s").GetDouble() > 0);
        Assert.Equal(3, stages["restore"].GetProperty("frames").GetInt32());
        Assert.True(stages["restore"].GetProperty("fps_end_to_end").GetDouble() > 0);
        // The prior's loss curve on the emulated device against the CPU's, every step of the shot logged.
        var curves = stages["loss-curves"].GetProperty("curves").EnumerateArray().ToArray();
        Assert.Equal(new[] { "cpu-fp32", "emu-fp32", "emu-tf32" }, curves.Select(c => c.GetProperty("run").GetString()));
        Assert.All(curves, c => Assert.Equal(6, c.GetProperty("steps").GetInt32()));
        Assert.True(curves[1].GetProperty("within_5_percent").GetBoolean(), curves[1].ToString());
        Assert.True(curves[2].GetProperty("within_5_percent").GetBoolean(), curves[2].ToString());

        string table = File.ReadAllText(Path.Combine(out_, "table.md"));
        Assert.Contains("| stage | status | s | result |", table);
        Assert.Contains("relative L2 vs float64", table);
        Assert.Contains("| dncnn 24x32 | fp32 |", table);
        Assert.Contains("% of copy |", table);
        Assert.EndsWith(table.Trim(), stdout.Trim());
    }
}
