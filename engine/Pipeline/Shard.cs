using System.Globalization;

namespace Reel.Engine.Pipeline;

/// <summary>
/// Shard <see cref="Index"/> of <see cref="Count"/> (0-based) of a plan: a contiguous run of shots
/// holding about 1/Count of the film's frames. Shot k goes to the shard whose share of the frames
/// holds the shot's middle frame. Balanced by frames, not by shot count, because a shot's cost is
/// its frames (every network and every prior epoch runs per frame), and shot lengths vary from one
/// frame to --max-shot-frames; contiguous, so a worker decodes one stretch of the film rather than
/// all of it. Shards nest: shard I of N is exactly shards I·G … I·G + G − 1 of N·G, which lets one
/// host split its share among its GPUs (<c>--devices</c>) without another plan.
/// </summary>
public readonly record struct Shard(int Index, int Count)
{
    /// <summary>"I/N" with 0 ≤ I &lt; N.</summary>
    public static Shard Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var i)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && i < n)
            return new Shard(i, n);
        throw new UsageException($"--shard takes I/N with 0 ≤ I < N (shard I of N, counted from 0), got '{text}'");
    }

    /// <summary>
    /// The shard a scheduler gave this process, or null when none did: a Slurm job array's task
    /// SLURM_ARRAY_TASK_ID of <paramref name="count"/> (<c>--shards</c>; without it, of
    /// SLURM_ARRAY_TASK_COUNT when the array is tasks 0 … COUNT − 1), or a Kubernetes Indexed Job's
    /// JOB_COMPLETION_INDEX of <paramref name="count"/>, the Job's completions. The count is best
    /// given: an array resubmitted for its failed tasks only (<c>--array=3,7</c>) still has the
    /// first array's shards.
    /// </summary>
    public static Shard? FromEnvironment(Func<string, string?> variable, int? count)
    {
        if (variable("SLURM_ARRAY_TASK_ID") is { } task)
        {
            int id = Number("SLURM_ARRAY_TASK_ID", task);
            if (count is { } given)
                return id < given ? new Shard(id, given) : throw new ReelException($"Slurm array task {id} is not below --shards {given}");
            int n = Number("SLURM_ARRAY_TASK_COUNT", variable("SLURM_ARRAY_TASK_COUNT")
                ?? throw new ReelException("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; give --shards N"));
            int min = Number("SLURM_ARRAY_TASK_MIN", variable("SLURM_ARRAY_TASK_MIN") ?? "0");
            int max = Number("SLURM_ARRAY_TASK_MAX", variable("SLURM_ARRAY_TASK_MAX") ?? (n - 1).ToString(CultureInfo.InvariantCulture));
            if (min != 0 || max != n - 1)
                throw new ReelException($"this Slurm array runs tasks {min}–{max}, not 0–{n - 1}: give --shards N, so that task I is shard I of N");
            // Slurm sets MIN and MAX: without them only the task itself says it is outside the array.
            if (id >= n) throw new ReelException($"Slurm array task {id} is not below SLURM_ARRAY_TASK_COUNT {n}: give --shards N");
            return new Shard(id, n);
        }
        if (variable("JOB_COMPLETION_INDEX") is { } index)
        {
            int n = count ?? throw new ReelException("JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job): give --shards N, the Job's completions");
            int i = Number("JOB_COMPLETION_INDEX", index);
            if (i >= n) throw new ReelException($"JOB_COMPLETION_INDEX {i} is not below --shards {n}");
            return new Shard(i, n);
        }
        return null;
    }

    private static int Number(string name, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw new ReelException($"{name} is '{text}', not a whole number");

    /// <summary>The shard of <paramref name="count"/> that <paramref name="shot"/> belongs to in <paramref name="plan"/>.</summary>
    public static int Of(ShotPlan plan, PlannedShot shot, int count) =>
        // The middle frame in half frames, so the arithmetic stays in integers: ⌊(2·first + frames)·N / (2·total)⌋.
        (int)(((2L * shot.First + shot.Frames) * count) / (2L * plan.Frames));

    /// <summary>This shard's shots, in film order (none when there are more shards than shots to share).</summary>
    public IReadOnlyList<PlannedShot> ShotsOf(ShotPlan plan)
    {
        var me = this;
        return plan.Shots.Where(s => Of(plan, s, me.Count) == me.Index).ToList();
    }

    /// <summary>Sub-shard <paramref name="part"/> of <paramref name="parts"/> of this shard (see the nesting in the class summary).</summary>
    public Shard Part(int part, int parts) => new(Index * parts + part, Count * parts);

    /// <summary>"I/N", as <see cref="Parse"/> reads it and <c>--shard</c> takes it.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
}
