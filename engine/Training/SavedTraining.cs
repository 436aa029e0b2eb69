using System.Globalization;
using Reel.Engine.Checkpoints;
using Reel.Engine.Models;
using Reel.Engine.Tensors;

namespace Reel.Engine.Training;

/// <summary>
/// A shot's prior training as it stood after one of its steps, on disk, so a stopped run takes it up rather than
/// training the shot from its start (on a CPU one shot trains for an hour or more): the net's weights under their
/// official names (the file loads as a prior), the optimizer's step count and moments, and how many of the shot's
/// steps were taken, in one safetensors file written atomically. It names the training it belongs to: one made for
/// another shot, seed, frame size or setting is never taken up.
/// </summary>
public sealed class SavedTraining
{
    private const string Format = "reel-prior-training 1";
    private const string MomentPrefix = "adam.m.", VariancePrefix = "adam.v.";

    private SavedTraining(VideoPrior net, int stepsDone, double loss, bool warm, int optimizerSteps, Dictionary<string, (Tensor M, Tensor V)> moments) =>
        (Net, StepsDone, Loss, Warm, OptimizerSteps, Moments) = (net, stepsDone, loss, warm, optimizerSteps, moments);

    /// <summary>The net as the saved step left it (host memory; the caller moves and disposes it).</summary>
    public VideoPrior Net { get; }
    /// <summary>The shot's training steps taken, warm ones included, in the order a run takes them.</summary>
    public int StepsDone { get; }
    /// <summary>The loss of the last step taken: what progress says of a shot whose training was all done.</summary>
    public double Loss { get; }
    /// <summary>Whether the optimizer saved is the warm epochs' own (the shot's own one then starts afresh after them).</summary>
    public bool Warm { get; }
    /// <summary>The saved optimizer's step count (<see cref="Adam.Steps"/>).</summary>
    public int OptimizerSteps { get; }
    /// <summary>The saved optimizer's moments by parameter name, host tensors for <see cref="Adam.Resume"/>.</summary>
    public IReadOnlyDictionary<string, (Tensor M, Tensor V)> Moments { get; }

    /// <summary>
    /// Writes the training after <paramref name="stepsDone"/> steps, the last with <paramref name="loss"/>, to <paramref name="path"/>
    /// (atomically: a stop while it is written leaves the save before it), named by <paramref name="identity"/>. Without a
    /// <paramref name="trainer"/> (a training done, its optimizer freed) only the weights are kept: no step is left to take.
    /// </summary>
    public static void Write(string path, string identity, int stepsDone, double loss, bool warm, VideoPrior net, PriorTrainer? trainer)
    {
        var adam = trainer?.Optimizer;
        var layout = VideoPrior.Layout(net.Width, net.OutChannels);
        var tensors = new List<(string, Tensor)>();
        foreach (var (name, _) in layout) tensors.Add((name, net.Parameters[name].ToHost()));
        foreach (var (name, _) in layout)
            if (adam is not null && adam.Moments.TryGetValue(name, out var mv))
            {
                tensors.Add((MomentPrefix + name, mv.M.ToHost()));
                tensors.Add((VariancePrefix + name, mv.V.ToHost()));
            }
        Safetensors.Write(path, tensors, new Dictionary<string, string>
        {
            // Of every value, in the file's order: a flipped bit in a weight would otherwise pass for the training itself.
            ["sha256"] = Checksum(tensors.Select(t => t.Item2)),
            ["format"] = Format,
            ["training"] = identity,
            ["steps_done"] = stepsDone.ToString(CultureInfo.InvariantCulture),
            ["loss"] = loss.ToString("R", CultureInfo.InvariantCulture),
            ["optimizer"] = adam is null ? "none" : warm ? "warm" : "shot",
            ["optimizer_steps"] = (adam?.Steps ?? 0).ToString(CultureInfo.InvariantCulture),
            ["model"] = "dvp-unet",
            ["width"] = net.Width.ToString(CultureInfo.InvariantCulture),
        });
    }

    /// <summary>A SHA-256 of the tensors' float32 values, little-endian, one after another.</summary>
    private static string Checksum(IEnumerable<Tensor> tensors)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var t in tensors) hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.Span));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// The training saved at <paramref name="path"/> when it is <paramref name="identity"/>'s, of a net of
    /// <paramref name="width"/> and <paramref name="outChannels"/> with at most <paramref name="totalSteps"/> steps, the first
    /// <paramref name="warmSteps"/> of them with the warm epochs' own optimizer; otherwise null and why not (another training's,
    /// damaged, cut short, unreadable).
    /// </summary>
    public static (SavedTraining? Saved, string? WhyNot) Read(string path, string identity, int width, int outChannels, int totalSteps, int warmSteps)
    {
        WeightMap map;
        try
        {
            map = Safetensors.Read(path);
        }
        catch (Exception e) when (e is CheckpointException or IOException or UnauthorizedAccessException)
        {
            return (null, e.Message);
        }
        string? Meta(string key) => map.Metadata.TryGetValue(key, out var v) ? v : null;
        if (Meta("format") != Format) return (null, "not a saved training this version of reel reads");
        if (Meta("training") != identity) return (null, $"it is the training of {Meta("training")}");
        if (!int.TryParse(Meta("steps_done"), NumberStyles.None, CultureInfo.InvariantCulture, out int done) || done < 1 || done > totalSteps)
            return (null, $"it counts {Meta("steps_done")} steps of {totalSteps}");
        if (!int.TryParse(Meta("optimizer_steps"), NumberStyles.None, CultureInfo.InvariantCulture, out int optimizerSteps))
            return (null, $"its optimizer counts {Meta("optimizer_steps")} steps");
        if (Meta("optimizer") is not ("warm" or "shot" or "none")) return (null, $"its optimizer is {Meta("optimizer")}");
        // Each optimizer counts its own steps: the warm one the first warmSteps, the shot's those after (none yet, when a stop
        // came as the warm epochs ended); none is kept only with every step taken.
        bool warm = Meta("optimizer") == "warm", none = Meta("optimizer") == "none";
        if (none ? done != totalSteps || optimizerSteps != 0
            : warm ? done > warmSteps || optimizerSteps != done : done < warmSteps || optimizerSteps != done - warmSteps)
            return (null, $"its {Meta("optimizer")} optimizer counts {optimizerSteps} steps after {done} of the shot's, {warmSteps} of them warm");
        if (!double.TryParse(Meta("loss"), NumberStyles.Float, CultureInfo.InvariantCulture, out double loss) || !double.IsFinite(loss))
            return (null, $"its last loss is {Meta("loss")}");
        VideoPrior? net = null;
        try
        {
            net = VideoPrior.FromWeights(map);
            if (net.Width != width || net.OutChannels != outChannels)
                throw new CheckpointException($"its net is {net.Width} wide with {net.OutChannels} outputs");
            var layout = VideoPrior.Layout(width, outChannels);
            var moments = new Dictionary<string, (Tensor M, Tensor V)>(StringComparer.Ordinal);
            // An optimizer that has taken no step has no moments yet.
            if (optimizerSteps > 0)
                foreach (var (name, shape) in layout)
                    moments[name] = (map.Get(MomentPrefix + name, shape.Dims.ToArray()), map.Get(VariancePrefix + name, shape.Dims.ToArray()));
            var values = layout.Select(l => map.Get(l.Name)).Concat(layout.Where(l => moments.ContainsKey(l.Name)).SelectMany(l => new[] { moments[l.Name].M, moments[l.Name].V }));
            if (Checksum(values) != Meta("sha256"))
                throw new CheckpointException("its values are not those it was saved with (the file was damaged since)");
            return (new SavedTraining(net, done, loss, warm, optimizerSteps, moments), null);
        }
        catch (CheckpointException e)
        {
            net?.Dispose();
            return (null, e.Message);
        }
    }
}
