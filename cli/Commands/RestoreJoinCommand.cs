using System.CommandLine;
using Reel.Engine.Pipeline;

namespace Reel.Cli.Commands;

/// <summary>`reel restore join WORKDIR OUTPUT`: the last step of a shared restore, once every shard's worker is done.</summary>
public static class RestoreJoinCommand
{
    public static Command Create()
    {
        var workdir = new Argument<string>("workdir") { Description = "The folder of the plan and its pieces" };
        var output = new Argument<string>("output") { Description = "The restored video (.mp4, .mkv, …; the input's timestamps, audio and subtitles kept); written atomically" };
        var progress = new ProgressChoice();
        var cmd = new Command("join", "Check every shot's piece in WORKDIR and join them into OUTPUT with the input's audio and subtitles; names the shards to rerun when pieces are missing")
            { workdir, output, progress.Progress, progress.NoProgress };
        cmd.SetAction((r, cancel) => Task.FromResult(CliRunner.Run(() =>
        {
            string work = r.GetValue(workdir)!, outPath = r.GetValue(output)!;
            var joining = RestoreJobOptions.JoiningIn(ShotPlan.Load(Path.GetFullPath(work)).Arguments);
            ProgressDisplay.Run(progress.Resolve(r), report => PlanJoin.Run(work, outPath, joining, report, cancel));
            Console.Error.WriteLine($"joined {work} → {outPath}");
            return 0;
        }, cancel, ended: progress.EndLine(r))));
        return cmd;
    }
}
