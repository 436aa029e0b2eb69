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
        RunBar(bar => work(p => bar.Report(p)));
    }

    /// <summary>
    /// Runs <paramref name="work"/> under a bar display that it reports to, from any thread: the bar mode of
    /// <see cref="Run"/>, and `restore run --devices`, whose workers each report under their device.
    /// </summary>
    public static void RunBar(Action<Bar> work)
    {
        var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        // The bar gives up room before the words do: at Spectre's 40 columns on an 80-column terminal, the description (a
        // training line is 70 characters) crushed the bar to nothing and the times to one character a line.
        var bar = new ProgressBarColumn { Width = Math.Clamp(err.Profile.Width - 100, 10, 40) };
        err.Progress().Columns(new DescriptionColumn(), bar, new WhileKnown(new PercentageColumn(), "   ?"), new ElapsedTimeColumn(), new WhileKnown(new RemainingTimeColumn(), "--:--:--"))
            .Start(ctx => work(new Bar(err, ctx)));
    }

    /// <summary>A bar per stage (per device and stage, where a device is named), with notes and other lines printed above the bars.</summary>
    public sealed class Bar
    {
        private readonly IAnsiConsole _err;
        private readonly ProgressContext _ctx;
        private readonly Dictionary<(string? Device, string Stage), ProgressTask> _tasks = new();

        internal Bar(IAnsiConsole err, ProgressContext ctx) => (_err, _ctx) = (err, ctx);

        /// <summary>Shows the event: a note or warning as a line, any other stage's work on its bar.</summary>
        /// <param name="device">The `--devices` worker that reported it, shown before its stage; null in a run of one process.</param>
        public void Report(RestoreProgress p, string? device = null)
        {
            string tag = device is null ? "" : $"[device {device}] ";
            lock (_tasks)
            {
                if (p.Stage is RestoreStage.Note or RestoreStage.Warning)
                {
                    Line($"{tag}{p.Stage}: {p.Detail}");
                    return;
                }
                if (!_tasks.TryGetValue((device, p.Stage), out var task))
                    _tasks[(device, p.Stage)] = task = _ctx.AddTask(Markup.Escape(p.Stage), maxValue: Math.Max(1, p.Total));
                if (p.Total > 0) task.MaxValue = p.Total;
                // A stage's work on an input that states no length: a bar moving to and fro, not one full (and done, with
                // 00:00:00 left) from the first frame. A one-off event (a piece saved, the join) stays as it is shown.
                task.IsIndeterminate = p.Total <= 0 && p.Stage is not (RestoreStage.Saved or RestoreStage.Resume or RestoreStage.Join);
                task.Value = p.Done;
                var text = tag + p.Stage;
                if (p.Shot is int shot) text += string.Create(CultureInfo.InvariantCulture, $" shot {shot}");
                if (p.Epoch is int epoch) text += string.Create(CultureInfo.InvariantCulture, $" epoch {epoch}/{p.Epochs} loss {p.Loss:F4}");
                if (p.Rate is double rate) text += " " + ProgressLines.Rate(rate);
                task.Description = Markup.Escape($"{text}, {(device is null ? "job" : "its")} ETA {ProgressLines.Eta(p)}");
            }
        }

        /// <summary>A line for people above the bars (a worker's error line).</summary>
        public void Say(string line)
        {
            lock (_tasks) Line(line);
        }

        /// <summary>A line above the bars (<see cref="ClearedLine"/>).</summary>
        private void Line(string text) => _err.Write(new ClearedLine(text));
    }

    /// <summary>
    /// A line of text that clears the rest of its last row: the display writes lines above the bars over the bars' old
    /// rows without clearing them, and a line shorter than the row under it left that row's end on screen ("… unknown").
    /// The terminal wraps it where it is longer than a row (each row it fills is all its own).
    /// </summary>
    private sealed class ClearedLine(string text) : IRenderable
    {
        private const string ClearToEndOfLine = "\u001b[K";

        public Measurement Measure(RenderOptions options, int maxWidth) => new(Math.Min(text.Length, maxWidth), maxWidth);

        public IEnumerable<Segment> Render(RenderOptions options, int maxWidth) =>
            [new Segment(text), Segment.Control(ClearToEndOfLine), Segment.LineBreak];
    }

    /// <summary>
    /// The task's description, wrapped onto more lines where the terminal is too narrow for it beside the other columns.
    /// Spectre's own never wraps, and the table then took the room from every other column instead.
    /// </summary>
    private sealed class DescriptionColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Markup(task.Description.Trim()).Overflow(Overflow.Ellipsis).Justify(Justify.Right);
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
