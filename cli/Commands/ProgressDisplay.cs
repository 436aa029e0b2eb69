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
        err.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new WhileKnown(new PercentageColumn(), "   ?"), new ElapsedTimeColumn(), new WhileKnown(new RemainingTimeColumn(), "--:--:--"))
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
                    // A stage's work on an input that states no length: a bar moving to and fro, not one full (and done, with
                    // 00:00:00 left) from the first frame. A one-off event (a piece saved, the join) stays as it is shown.
                    task.IsIndeterminate = p.Total <= 0 && p.Stage is not (RestoreStage.Saved or RestoreStage.Resume or RestoreStage.Join);
                    task.Value = p.Done;
                    var text = p.Stage;
                    if (p.Shot is int shot) text += string.Create(CultureInfo.InvariantCulture, $" shot {shot}");
                    if (p.Epoch is int epoch) text += string.Create(CultureInfo.InvariantCulture, $" epoch {epoch}/{p.Epochs} loss {p.Loss:F4}");
                    if (p.Rate is double rate) text += " " + ProgressLines.Rate(rate);
                    task.Description = Markup.Escape($"{text}, job ETA {ProgressLines.Eta(p)}");
                });
            });
    }

    /// <summary>
    /// A column that needs the total (the percentage, the time left), or <paramref name="unknown"/> while the input's length is
    /// unknown: Spectre's own read 100% and 00:00:00 left from the first frame.
    /// </summary>
    private sealed class WhileKnown(ProgressColumn known, string unknown) : ProgressColumn
    {
        // The wrapped column's width and no wrapping, as Spectre's fixed columns have: without them the table gave these
        // columns the room of the task's description, and on a narrow terminal showed no description at all.
        protected override bool NoWrap => true;

        public override int? GetColumnWidth(RenderOptions options) => known.GetColumnWidth(options) is { } width ? Math.Max(width, unknown.Length) : null;

        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            task.IsIndeterminate ? new Text(unknown) : known.Render(options, task, deltaTime);
    }
}
