using System.Text.Json;

namespace Reel.Engine.Pipeline;

/// <summary>
/// <c>WORKDIR/plan.json</c>: what every shard worker of a distributed restore agrees on. The
/// input (absolute path: every node must see it there), the restore options as arguments (the
/// same as <c>reel restore</c> takes, replayed by each worker) and the settings they resolved to
/// where the plan was made (checkpoints and input by path, size and time, every stage's
/// parameters), which a worker must reproduce exactly; and the shots, cut by the same
/// <see cref="ShotSplitter"/> on the same decoded frames as a one-process restore.
/// </summary>
public sealed record ShotPlan(int Version, string Input, int Frames, IReadOnlyDictionary<string, string> Settings,
    IReadOnlyList<string> Arguments, IReadOnlyList<PlannedShot> Shots)
{
    private const string FileName = "plan.json";
    /// <summary>The <see cref="Version"/> this build writes and the only one it reads (2: pieces named by shot number, from 1).</summary>
    internal const int CurrentVersion = 2;

    /// <summary>Where the plan of <paramref name="workdir"/> lives.</summary>
    public static string PathIn(string workdir) => Path.Combine(workdir, FileName);

    /// <summary>Where the piece of the shot numbered <paramref name="number"/> (<see cref="PlannedShot.Number"/>, from 1) lives in <paramref name="workdir"/>.</summary>
    public static string PiecePath(string workdir, int number) => Path.Combine(Path.GetFullPath(workdir), $"shot-{number:D5}.nut");

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
