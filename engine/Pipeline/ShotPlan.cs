using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Reel.Engine.Pipeline;

/// <summary>
/// <c>WORKDIR/plan.json</c>: what every shard worker of a distributed restore agrees on. The
/// input (its absolute path, and where it lies from the work folder: a node that mounts the share
/// elsewhere finds it there), the restore options as arguments (the same as <c>reel restore</c>
/// takes, replayed by each worker) and the settings they resolved to where the plan was made
/// (checkpoints and input by what they hold, every stage's parameters), which a worker must
/// reproduce exactly; and the shots, cut by the same
/// <see cref="ShotSplitter"/> on the same decoded frames as a one-process restore.
/// </summary>
public sealed record ShotPlan(int Version, string Input, int Frames, IReadOnlyDictionary<string, string> Settings,
    IReadOnlyList<string> Arguments, IReadOnlyList<PlannedShot> Shots)
{
    private const string FileName = "plan.json";

    /// <summary>The input's path from the work folder, for <see cref="InputIn"/>; null where the plan was made without one.</summary>
    public string? InputFromWork { get; init; }

    /// <summary>
    /// Where this node finds the input: at <see cref="Input"/>, else where it lies from <paramref name="workdir"/> as it
    /// did where the plan was made (a share mounted at /mnt/share there and /Volumes/share here); a
    /// <see cref="ReelException"/> naming both places when it is at neither.
    /// </summary>
    public string InputIn(string workdir)
    {
        if (File.Exists(Input) || Directory.Exists(Input)) return Input;
        var fromWork = InputFromWork is null ? Input : Path.GetFullPath(Path.Combine(workdir, InputFromWork));
        if (File.Exists(fromWork) || Directory.Exists(fromWork)) return fromWork;
        throw new ReelException($"input not found: {Input} (the plan's input)" + (fromWork == Input ? "" : $", nor at {fromWork} (where it lay from the work folder)"));
    }

    /// <summary>
    /// The <see cref="Version"/> this build writes and the only one it reads (2: pieces named by shot number, from 1;
    /// 3: and by what made them, <see cref="PiecePath"/>).
    /// </summary>
    internal const int CurrentVersion = 3;

    /// <summary>Where the plan of <paramref name="workdir"/> lives.</summary>
    public static string PathIn(string workdir) => Path.Combine(workdir, FileName);

    /// <summary>
    /// Where <paramref name="shot"/>'s piece lives in <paramref name="workdir"/>: named by its number (from 1) and by a
    /// stamp of what makes its frames, every setting but where the input lies and the shot's own decoded frames. A piece
    /// left by another plan (made again over a deleted or damaged plan.json, or copied from another plan's folder) has
    /// another name, so it is never joined into this film; the same plan made again finds its pieces.
    /// </summary>
    public string PiecePath(string workdir, PlannedShot shot)
    {
        var what = new StringBuilder();
        foreach (var (key, value) in Settings.Where(kv => kv.Key != "input").OrderBy(kv => kv.Key, StringComparer.Ordinal))
            what.Append(key).Append('=').Append(value).Append('\n');
        what.Append(CultureInfo.InvariantCulture, $"{shot.First} {shot.Last} {shot.FirstPtsNs} {shot.LastPtsNs} {shot.Sha256}");
        var stamp = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(what.ToString())))[..12];
        return Path.Combine(Path.GetFullPath(workdir), $"shot-{shot.Number:D5}-{stamp}.nut");
    }

    /// <summary>
    /// Where <paramref name="shot"/>'s prior training is saved while a worker makes it (<see cref="TrainingSaves"/>): beside its
    /// piece, named as the piece is, so a worker that takes the shot up after a stopped one goes on with its training.
    /// </summary>
    public string TrainingPath(string workdir, PlannedShot shot) => Path.ChangeExtension(PiecePath(workdir, shot), TrainingExtension);

    /// <summary>The ending of a saved training's name (<see cref="TrainingPath"/>).</summary>
    private const string TrainingExtension = ".training.safetensors";

    /// <summary>Every shot's saved training in <paramref name="workdir"/> (<see cref="TrainingPath"/>), whichever plan's; none where the folder is gone.</summary>
    public static IEnumerable<string> SavedTrainings(string workdir) =>
        Directory.Exists(workdir) ? Directory.EnumerateFiles(workdir, "shot-*" + TrainingExtension) : [];

    /// <summary>Writes the plan atomically (a worker never reads half of one).</summary>
    public void Save(string workdir) => TempFile.WriteAtomically(PathIn(workdir),
        tmp => File.WriteAllText(tmp, JsonSerializer.Serialize(this, PlanJson.Default.ShotPlan)));

    /// <summary>The plan in <paramref name="workdir"/>, checked for consistency; a one-line error says what is wrong.</summary>
    public static ShotPlan Load(string workdir)
    {
        var path = PathIn(workdir);
        if (!File.Exists(path)) throw new ReelException($"no plan in {workdir}: make one with 'reel restore plan INPUT {workdir} [options]'");
        ShotPlan? plan;
        try
        {
            plan = JsonSerializer.Deserialize(File.ReadAllText(path), PlanJson.Default.ShotPlan);
        }
        catch (JsonException e)
        {
            throw new ReelException($"{path} is damaged ({e.Message}); make the plan again");
        }
        if (plan is null || plan.Version != CurrentVersion || plan.Settings is null || plan.Arguments is null || plan.Shots is null || string.IsNullOrEmpty(plan.Input))
            throw new ReelException($"{path} is not a plan this version of reel understands (version {plan?.Version}); make the plan again");
        int expected = 0;
        for (int k = 0; k < plan.Shots.Count; k++)
        {
            var s = plan.Shots[k];
            if (s is null || s.Index != k || s.First != expected || s.Last < s.First || s.LastPtsNs < s.FirstPtsNs
                || s.Sha256 is not { Length: 64 } || !s.Sha256.All(Uri.IsHexDigit))
                throw new ReelException($"{path}: shot {k} does not follow the one before it; make the plan again");
            expected = s.Last + 1;
        }
        if (plan.Shots.Count == 0 || expected != plan.Frames)
            throw new ReelException($"{path}: its shots cover {expected} of its {plan.Frames} frames; make the plan again");
        return plan;
    }
}
