using System.CommandLine;
using Reel.Engine.Pipeline;
using Reel.Engine.Video;

namespace Reel.Cli.Commands;

/// <summary>`reel restore join WORKDIR OUTPUT`: the last step of a shared restore, once every shard's worker is done.</summary>
public static class RestoreJoinCommand
{
    public static Command Create()
    {
        var workdir = new Argument<string>("workdir") { Description = "The folder of the plan and its pieces" };
        var output = new Argument<string>("output") { Description = "The restored video (.mp4, .mkv, …; the input's timestamps, audio and subtitles kept); written atomically" };
        var progress = new ProgressChoice();
        // The join's, as it is restore's: the run that writes the restored video (a plan leaves it to each run).
        var sideBySide = RestoreCommand.SideBySideOption();
        var cmd = new Command("join", "Check every shot's piece in WORKDIR and join them into OUTPUT with the input's audio and subtitles; names the shards to rerun when pieces are missing")
            { workdir, output, progress.Progress, progress.NoProgress, sideBySide };
        cmd.SetAction((r, cancel) => Task.FromResult(CliRunner.Run(() =>
        {
            string work = r.GetValue(workdir)!, outPath = r.GetValue(output)!;
            var plan = ShotPlan.Load(Path.GetFullPath(work));
            var joining = RestoreJobOptions.JoiningIn(plan.Arguments);
            string? review = r.GetValue(sideBySide);
            var input = plan.InputIn(Path.GetFullPath(work));
            if (review is not null) SideBySide.Check(input, outPath, review);
            ProgressDisplay.Run(progress.Resolve(r), report => PlanJoin.Run(work, outPath, joining, report, cancel));
            Console.Error.WriteLine($"joined {work} → {outPath}");
            // The input as the workers took it: the plan's options open it.
            if (review is not null) RestoreCommand.WriteSideBySide(input, outPath, review, joining);
            return 0;
        }, cancel, ended: progress.EndLine(r))));
        return cmd;
    }
}
