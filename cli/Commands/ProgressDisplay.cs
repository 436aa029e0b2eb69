using System.Globalization;
using Reel.Engine.Pipeline;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Reel.Cli.Commands;

/// <summary>Shows a run's progress on stderr in the chosen mode while the run reports it.</summary>
public static class ProgressDisplay
{
    /// <summary>
    /// Runs <paramref name="work"/>, handing it the reporter for <paramref name="mode"/>: a Spectre
    /// bar per stage (frames, rate, the whole job's ETA), or <see cref="ProgressLines"/>.
    /// </summary>
    public static void Run(ProgressMode mode, Action<Action<RestoreProgress>> work)
    {
        if (mode != ProgressMode.Bar)
        {
            var lines = new ProgressLines(mode == ProgressMode.Json, Console.Error);
            try
            {
                work(lines.Report);
            }
            finally
            {
                // The last state of every stage, also when the run stops with an error.
                lines.Flush();
            }
            return;
        }
        var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        err.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentOrUnknownColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                work(p =>
                {
                    if (p.Stage is RestoreStage.Note or RestoreStage.Warning)
                    {
                        err.MarkupLine($"{p.Stage}: {Markup.Escape(p.Detail)}");
                        return;
                    }
                    if (!tasks.TryGetValue(p.Stage, out var task))
                        tasks[p.Stage] = task = ctx.AddTask(p.Stage, maxValue: Math.Max(1, p.Total));
                    if (p.Total > 0) task.MaxValue = p.Total;
                    // An input that states no length: a bar moving to and fro, not one full from the first frame.
                    task.IsIndeterminate = p.Total <= 0;
                    task.Value = p.Done;
                    var text = p.Stage;
                    if (p.Shot is int shot) text += string.Create(CultureInfo.InvariantCulture, $" shot {shot}");
                    if (p.Epoch is int epoch) text += string.Create(CultureInfo.InvariantCulture, $" epoch {epoch}/{p.Epochs} loss {p.Loss:F4}");
                    if (p.Rate is double rate) text += " " + ProgressLines.Rate(rate);
                    task.Description = Markup.Escape($"{text}, job ETA {ProgressLines.Eta(p)}");
                });
            });
    }

    /// <summary>The percentage done, or "?" while the input's length is unknown (Spectre's own read 100% from the first frame).</summary>
    private sealed class PercentOrUnknownColumn : ProgressColumn
    {
        private readonly PercentageColumn _known = new();

        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            task.IsIndeterminate ? new Text("   ?") : _known.Render(options, task, deltaTime);
    }
}
