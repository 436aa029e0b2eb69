using System.CommandLine;
using Reel.Engine;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Pipeline;

namespace Reel.Cli.Commands;

/// <summary>
/// `reel restore run WORKDIR [--shard I/N]`: one worker of a restore shared among processes and
/// hosts; with `--devices`, one worker per GPU of this host.
/// </summary>
public static class RestoreRunCommand
{
    public static Command Create()
    {
        var workdir = new Argument<string>("workdir") { Description = "The folder 'reel restore plan' wrote its plan in" };
        var shard = new Option<string?>("--shard")
        {
            Description = "I/N: restore shard I of N (from 0), a contiguous run of shots with about 1/N of the frames. " +
                          "Default: a Slurm array task's (SLURM_ARRAY_TASK_ID of --shards, or of SLURM_ARRAY_TASK_COUNT for an array 0…N−1), " +
                          "an Indexed Job's (JOB_COMPLETION_INDEX of --shards), else 0/1 (every shot)",
        };
        var shards = new Option<int?>("--shards") { Description = "N, the number of shards, with SLURM_ARRAY_TASK_ID (the array's size when first submitted) or JOB_COMPLETION_INDEX (the Indexed Job's completions)" };
        var devices = new Option<string?>("--devices")
        {
            Description = "0,1,…: one worker process per GPU of this host (CUDA_VISIBLE_DEVICES), each on its part of the shard; --memory-mb is shared among them",
        };
        var device = DeviceChoice.CreateOption();
        var precision = DeviceChoice.PrecisionOption();
        var progress = new ProgressChoice();
        var memory = RestoreCommand.MemoryOption();
        // A worker's own, as --memory-mb is: how often it saves depends on its disk (a network share's, a node's), not the film.
        var saveEvery = PriorChoice.SaveEveryOption("default: the plan's");
        var cmd = new Command("run", "Restore one shard of a plan's shots into pieces in WORKDIR; skips pieces already made, safe to run twice or after a kill")
            { workdir, shard, shards, devices, device, precision, progress.Progress, progress.NoProgress, memory, saveEvery };
        cmd.SetAction((r, cancel) => Task.FromResult(CliRunner.Run(() =>
        {
            DeviceWorkers.FollowParent();
            var work = Path.GetFullPath(r.GetValue(workdir)!);
            var plan = ShotPlan.Load(work);
            if (r.GetValue(shards) is < 1) throw new UsageException($"--shards must be ≥ 1, got {r.GetValue(shards)}");
            // --shards is the N of a scheduler's index; --shard I/N carries its own, so one of them would be ignored.
            if (r.GetValue(shard) is { } given && r.GetValue(shards) is { } count)
                throw new UsageException($"--shard {given} gives the shard and the number of shards, and --shards {count} is that number for a scheduler's index " +
                                        "(SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX): give one of them");
            var mine = r.GetValue(shard) is { } text ? Shard.Parse(text) : Shard.FromEnvironment(Environment.GetEnvironmentVariable, r.GetValue(shards))
                ?? (r.GetValue(shards) is { } n ? throw new UsageException($"--shards {n} without JOB_COMPLETION_INDEX: say which shard with --shard I/{n}") : new Shard(0, 1));
            var budget = RestoreCommand.MemoryBudget(r, memory);
            var interval = PriorChoice.SaveInterval(r, saveEvery);
            var mode = progress.Resolve(r);
            if (r.GetValue(devices) is { } list)
                return DeviceWorkers.Run(work, mine, DeviceWorkers.Parse(list), r.GetValue(device)!, r.GetValue(precision), budget, interval, mode, cancel);
            var backend = DeviceChoice.Resolve(r.GetValue(device)!, FastBackend.Instance, r.GetValue(precision));
            using var deviceMemory = backend as IDisposable;
            var options = RestoreJobOptions.Replay(plan.Arguments, backend) with { MemoryBudgetBytes = budget };
            if (interval is { } every) options = options with { Prior = options.Prior with { SaveEvery = every } };
            MemoryCap.Apply(options, backend);
            using (options.Denoiser)
            using (options.Colorizer)
                ProgressDisplay.Run(mode, report => ShardWorker.Run(work, plan, mine, options, backend, report, cancel));
            Console.Error.WriteLine($"shard {mine} of {work} is done");
            return 0;
        }, cancel, () => $"the shots finished{(ShotPlan.SavedTrainings(r.GetValue(workdir)!).Any() ? " and the training of the shot in progress" : "")} " +
                         $"are kept in {r.GetValue(workdir)}; run the same command again to make the rest", progress.EndLine(r))));
        return cmd;
    }
}
