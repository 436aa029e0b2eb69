using System.Text.Json;
using System.Text.RegularExpressions;
using Reel.Engine.Ops;
using Reel.Tests.Support;
using Xunit.Abstractions;

namespace Reel.Tests.Cuda;

/// <summary>
/// `reel selftest --device emu --json` as the device check runs it on a GPU: every op (forward and
/// backward) and every kernel against the CPU on the emulated device, its convolutions Reel's cuDNN
/// code over the emulated cuDNN, then the networks; the last line is the JSON the check parses.
/// </summary>
public class SelfTestTests(ITestOutputHelper output)
{
    [Fact]
    public void EveryOpKernelAndNetworkPassesOnTheEmulatedDevice()
    {
        var r = ReelProcess.Run("selftest", "--device", "emu", "--json");
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout.Trim().Split('\n')[^1]);
        var root = doc.RootElement;
        Assert.Contains("emulation", root.GetProperty("device").GetString());
        Assert.Equal("fp32", root.GetProperty("precision").GetString());
        var cases = root.GetProperty("cases").EnumerateArray()
            .Select(c => (Name: c.GetProperty("name").GetString()!, Error: c.GetProperty("max_rel_err").GetDouble(), Ok: c.GetProperty("ok").GetBoolean()))
            .ToArray();
        Assert.Equal(cases.Length, root.GetProperty("passed").GetInt32());
        Assert.Equal(0, root.GetProperty("failed").GetInt32());
        // fp32 convolutions take their operands whole (FMA math, never TF32).
        Assert.Equal("operands kept whole", root.GetProperty("cases").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == "conv2d.operand_rounding").GetProperty("detail").GetString());
        // A pass says what passed: its detail was the error line it expected, which read as a failure in an "ok" row.
        Assert.EndsWith("the NaN put in was flagged", r.Stdout.Split('\n').Single(l => l.StartsWith("ok   kernel.finite_check_f32 ", StringComparison.Ordinal)).Trim());
        // The text's last lines count checks and the rows (a check's sizes) printed for them.
        Assert.Matches($@"^{cases.Length} of {cases.Length} checks passed \([0-9]+ rows above: a check's sizes each\) on ", r.Stdout.Trim().Split('\n')[^2]);
        Assert.All(cases, c => Assert.True(c.Ok && c.Error >= 0, c.Name));
        var names = cases.Select(c => c.Name).ToHashSet();
        var declared = typeof(Op).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(Op)) && !t.IsAbstract).Select(t => CaseName(t.Name));
        Assert.Empty(declared.Where(d => !names.Any(n => n.StartsWith(d, StringComparison.Ordinal))));
        foreach (var kernel in Reel.Engine.Backends.Cuda.KernelSources.Kernels.Select(k => k.Name))
            Assert.True(KernelReached(kernel, names), $"no self-test case runs kernel {kernel}");
        foreach (var model in new[] { "dncnn.forward", "dncnn.tiled", "colorizer.forward", "prior_step.loss", "prior_step.gradients", "prior_step.adam" })
            Assert.Contains(model, names);
        output.WriteLine($"{cases.Length} self-test cases passed on the emulated device; worst error {cases.Max(c => c.Error):G3}");
    }

    [Fact]
    public void TheTf32RoundingIsHeldToItsOwnBoundsOnTheEmulatedCudnn()
    {
        var r = ReelProcess.Run("selftest", "--device", "emu", "--precision", "tf32", "--small", "--json");
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout.Trim().Split('\n')[^1]);
        Assert.Equal("tf32", doc.RootElement.GetProperty("precision").GetString());
        Assert.Equal(0, doc.RootElement.GetProperty("failed").GetInt32());
        var cases = doc.RootElement.GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("max_rel_err").GetDouble());
        // TF32 rounded the convolutions' operands (errors fp32 would not make) and stayed inside 2e-3 for
        // one convolution, inside 5e-2 for DnCNN-B's twenty (whose error depends on the seed's weights).
        foreach (var name in new[] { "conv2d.forward", "conv2d.backward_data", "conv2d.backward_weight", "conv_transpose2d.forward" })
            Assert.InRange(cases[name], 1e-5, 2e-3);
        foreach (var name in new[] { "dncnn.forward", "dncnn.tiled" })
            Assert.InRange(cases[name], 1e-5, 5e-2);
        output.WriteLine($"tf32 on the emulated cuDNN: conv2d.forward {cases["conv2d.forward"]:G3}, dncnn.forward {cases["dncnn.forward"]:G3}, prior_step.gradients {cases["prior_step.gradients"]:G3}");
    }

    /// <summary>
    /// Whether a GPU's TF32 rounds or truncates is not documented; the TF32 self-test must pass either way.
    /// Truncated (REEL_EMU_TF32=truncate), DnCNN-B's error is several times the rounded one's: the knob works.
    /// </summary>
    [Fact]
    public void TheTf32SelfTestPassesWhetherTf32RoundsOrTruncates()
    {
        var errors = new Dictionary<string, double>();
        foreach (var mode in new[] { "round", "truncate" })
        {
            var r = ReelProcess.RunWithEnvironment(new Dictionary<string, string> { ["REEL_EMU_TF32"] = mode },
                "selftest", "--device", "emu", "--precision", "tf32", "--small", "--json");
            Assert.True(r.ExitCode == 0, $"{mode}: {r.Stdout}{r.Stderr}");
            using var doc = JsonDocument.Parse(r.Stdout.Trim().Split('\n')[^1]);
            var cases = doc.RootElement.GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
            errors[mode] = cases["dncnn.forward"].GetProperty("max_rel_err").GetDouble();
            // The probe saw which: the device check's table says it of a GPU.
            Assert.Equal(mode == "round" ? "operands TF32 rounded to nearest, ties to even" : "operands TF32 truncated",
                cases["conv2d.operand_rounding"].GetProperty("detail").GetString());
        }
        Assert.True(errors["truncate"] > 3 * errors["round"], $"DnCNN-B: truncated {errors["truncate"]:G3}, rounded {errors["round"]:G3}");
        var bad = ReelProcess.RunWithEnvironment(new Dictionary<string, string> { ["REEL_EMU_TF32"] = "chop" }, "selftest", "--device", "emu", "--small");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("REEL_EMU_TF32 is 'chop': give round or truncate", bad.Stderr);
        output.WriteLine($"DnCNN-B at TF32 on the emulated cuDNN: rounded {errors["round"]:G3}, truncated {errors["truncate"]:G3}; both pass");
    }

    /// <summary>Conv2dBackwardWeightOp → "conv2d.backward_weight", ReluOp → "relu.forward", AdamStepOp → "adam".</summary>
    private static string CaseName(string type)
    {
        if (type == nameof(AdamStepOp)) return "adam";
        var name = type[..^2];
        int backward = name.IndexOf("Backward", StringComparison.Ordinal);
        string op = backward < 0 ? name : name[..backward], rest = backward < 0 ? "forward" : "backward" + name[(backward + 8)..];
        static string Snake(string s) => Regex.Replace(s, "(?<=[a-z0-9])([A-Z])", "_$1").ToLowerInvariant();
        return $"{Snake(op)}.{Snake(rest)}";
    }

    /// <summary>A kernel is reached by its own case or by the op case that launches it.</summary>
    private static bool KernelReached(string kernel, HashSet<string> names) =>
        names.Contains("kernel." + kernel) || kernel switch
        {
            "adam_step_f32" => names.Contains("adam"),
            "annealed_mean_f32" => names.Contains("annealed_mean.forward"),
            "affine_act_f32" => names.Contains("affine.forward") && names.Contains("relu.forward"),
            "subtract_f32" => names.Contains("subtract.forward"),
            "add_channels_f32" => names.Contains("add.forward"),
            "clamp_f32" => names.Contains("clamp.forward"),
            "relu_backward_f32" => names.Contains("relu.backward"),
            "irt_loss_grad_f32" => names.Contains("prior_loss.backward"),
            "irt_loss_partials_f32" or "irt_loss_reduce_f32" => names.Contains("prior_loss.forward"),
            "channel_sum_partials_f32" or "channel_sum_finish_f32" => names.Contains("conv2d.backward_bias"),
            "channel_moments_partials_f32" or "channel_moments_finish_f32" => names.Contains("channel_moments.forward"),
            "rgb_to_lab_f32" => names.Contains("rgb_to_lab.forward"),
            "lab_to_rgb_f32" => names.Contains("lab_to_rgb.forward"),
            "recolor_f32" => names.Contains("recolor.forward"),
            "copy_window_f32" => names.Contains("crop.forward"),
            "pad_reflect_f32" => names.Contains("pad_reflect.forward"),
            "decimate_box_f32" => names.Contains("decimate.forward"),
            "luma8_f32" => names.Contains("luma8.forward"),
            "thumbnail_f32" => names.Contains("thumbnail.forward"),
            "maxpool2d_f32" => names.Contains("max_pool2d.forward"),
            "maxpool2d_backward_f32" => names.Contains("max_pool2d.backward"),
            "concat_channels_f32" => names.Contains("concat.forward"),
            "resize_bilinear_f32" => names.Contains("resize_bilinear.forward"),
            "resize_bilinear_backward_f32" => names.Contains("resize_bilinear.backward"),
            "resize_bicubic_across_f32" or "resize_bicubic_down_f32" => names.Contains("resize_bicubic.forward"),
            _ when kernel.StartsWith("dis_", StringComparison.Ordinal) => names.Contains("optical_flow.forward"),
            "warp_bilinear_f32" => names.Contains("warp.forward"),
            "flow_check_f32" => names.Contains("flow_check.forward"),
            "mode_hold_f32" or "mode_table_i64" => names.Contains("mode_hold.forward"),
            _ when kernel.StartsWith("screened_poisson_", StringComparison.Ordinal) => names.Contains("screened_poisson.forward"),
            "fuse_distributions_f32" => names.Contains("fuse_distributions.forward"),
            _ => false,
        };
}
