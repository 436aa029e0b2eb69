using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Reel.Engine.Pipeline;

namespace Reel.Cli.Commands;

/// <summary>
/// Progress as lines on stderr: plain text for a log, or one JSON object per line for programs
/// (the format README documents). A stage gets a line when it starts and when it reaches its
/// total, at the end of each shot's training, and in between about one every half second (JSON)
/// or one per 10 % of it and at least one a minute (plain). A line held back is written before the
/// join and when the run ends, so every stage's last state appears; in JSON also before any later
/// line, so elapsed_s never runs backwards: a held encode line came after a saved and a process
/// line of later times, and an interrupted run's last line was a process line older than the
/// training lines before it. Notes, warnings, resumes and the join are always written, and in JSON
/// every saved piece (one saved within half a second of the one before was dropped, so a scheduler never saw it).
/// </summary>
public sealed class ProgressLines
{
    private static readonly TimeSpan JsonInterval = TimeSpan.FromSeconds(0.5);
    private static readonly TimeSpan PlainInterval = TimeSpan.FromMinutes(1);
    private readonly bool _json;
    private readonly TextWriter _out;
    private readonly Dictionary<string, Shown> _stages = new();

    /// <summary>Lines written to <paramref name="output"/>.</summary>
    /// <param name="json">JSON lines instead of plain text.</param>
    public ProgressLines(bool json, TextWriter output) => (_json, _out) = (json, output);

    /// <summary>Writes the event's line now, holds it back or drops it (see the class summary).</summary>
    public void Report(RestoreProgress p)
    {
        // A saved piece is an event a program counts; a log of a long film would get a line per shot, and keeps its tenths.
        if (p.Stage is RestoreStage.Note or RestoreStage.Warning or RestoreStage.Resume or RestoreStage.Join || (_json && p.Stage == RestoreStage.Saved))
        {
            if (p.Stage == RestoreStage.Join) Flush();
            else FlushHeld();
            Write(p);
            return;
        }
        if (!_stages.TryGetValue(p.Stage, out var shown)) _stages[p.Stage] = shown = new Shown();
        int tenth = p.Total > 0 ? (int)(10 * p.Done / p.Total) : -1;
        bool due = !shown.Any || (p.Total > 0 && p.Done >= p.Total) || p.EndsShot
                   || (_json ? p.Elapsed - shown.At >= JsonInterval : tenth != shown.Tenth || p.Elapsed - shown.At >= PlainInterval);
        if (!due)
        {
            shown.Pending = p;
            return;
        }
        (shown.Any, shown.At, shown.Tenth, shown.Pending) = (true, p.Elapsed, tenth, null);
        FlushHeld();
        Write(p);
    }

    /// <summary>In JSON, the lines held back, before a later line is written (see the class summary).</summary>
    private void FlushHeld()
    {
        if (_json) Flush();
    }

    /// <summary>Writes the lines held back, oldest first; each counts as its stage's last line.</summary>
    public void Flush()
    {
        foreach (var shown in _stages.Values.Where(s => s.Pending is not null).OrderBy(s => s.Pending!.Elapsed).ToList())
        {
            Write(shown.Pending!);
            shown.At = shown.Pending!.Elapsed;
            shown.Pending = null;
        }
    }

    /// <summary>"12.34 fps" at one frame per second or more, "4.12 s/frame" below (where fps would round to 0.00).</summary>
    public static string Rate(double framesPerSecond) => framesPerSecond >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{framesPerSecond:F2} fps")
        : string.Create(CultureInfo.InvariantCulture, $"{1 / framesPerSecond:F2} s/frame");

    /// <summary>hh:mm:ss, hours past 24 included.</summary>
    public static string Duration(TimeSpan t) =>
        string.Create(CultureInfo.InvariantCulture, $"{(long)t.TotalHours:D2}:{t.Minutes:D2}:{t.Seconds:D2}");

    /// <summary>The ETA as the plain line and the bar show it.</summary>
    public static string Eta(RestoreProgress p) => p.EtaSeconds is double s ? Duration(TimeSpan.FromSeconds(Math.Round(s))) : "unknown";

    /// <summary>The plain line of an event.</summary>
    public static string Plain(RestoreProgress p)
    {
        if (p.Stage is RestoreStage.Note or RestoreStage.Warning) return $"{p.Stage}: {p.Detail}";
        var line = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"{p.Stage}: {p.Done}/{(p.Total > 0 ? p.Total.ToString(CultureInfo.InvariantCulture) : "?")} frames"));
        if (p.Rate is double rate)
        {
            line.Append(", ").Append(Rate(rate));
            // The prior's cost per frame is its epochs' cost; per step is what the ETA is built from.
            if (p.Epochs is int epochs) line.Append(CultureInfo.InvariantCulture, $" ({1 / (rate * epochs):F2} s/frame-epoch)");
        }
        line.Append(", elapsed ").Append(Duration(p.Elapsed));
        if (p.Stage != RestoreStage.Join) line.Append(", ETA ").Append(Eta(p));
        if (p.Shot is int shot) line.Append(CultureInfo.InvariantCulture, $", shot {shot}");
        if (p.Epoch is int epoch) line.Append(CultureInfo.InvariantCulture, $", epoch {epoch}/{p.Epochs}");
        if (p.Loss is double loss) line.Append(CultureInfo.InvariantCulture, $", loss {loss:F4}");
        if (p.Detail.Length > 0) line.Append(" — ").Append(p.Detail);
        return line.ToString();
    }

    /// <summary>The JSON line of an event: every field always present, null where it does not apply or is not known yet.</summary>
    public static string Json(RestoreProgress p) => Line(w =>
        {
            w.WriteString("stage", p.Stage);
            w.WriteNumber("done", p.Done);
            Number(w, "total", p.Total > 0 ? p.Total : null);
            Number(w, "rate", Significant(p.Rate));
            Number(w, "eta_s", p.EtaSeconds is double eta ? Math.Round(eta, 1) : null);
            Number(w, "shot", p.Shot);
            Number(w, "epoch", p.Epoch);
            Number(w, "epochs", p.Epochs);
            Number(w, "loss", Significant(p.Loss));
            w.WriteNumber("elapsed_s", Math.Round(p.Elapsed.TotalSeconds, 3));
            // Null where there are no words, as every other field that does not apply (an encode line's was "").
            if (p.Detail.Length > 0) w.WriteString("detail", p.Detail);
            else w.WriteNull("detail");
        });

    /// <summary>
    /// The event a line of <see cref="Json"/> holds (a `--devices` worker's, read by its parent); null for anything else:
    /// an `end` line, a line that is no JSON object or lacks a field.
    /// </summary>
    public static RestoreProgress? Parse(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var o = doc.RootElement;
            if (o.ValueKind != JsonValueKind.Object || !o.TryGetProperty("stage", out var stage) || stage.GetString() is not { } name || name == "end")
                return null;
            double? Real(string field) => o.GetProperty(field).ValueKind == JsonValueKind.Number ? o.GetProperty(field).GetDouble() : null;
            int? Whole(string field) => o.GetProperty(field).ValueKind == JsonValueKind.Number ? o.GetProperty(field).GetInt32() : null;
            return new RestoreProgress(name, o.GetProperty("done").GetInt64(), (long)(Real("total") ?? 0), o.GetProperty("detail").GetString() ?? "",
                TimeSpan.FromSeconds(o.GetProperty("elapsed_s").GetDouble()))
            {
                Rate = Real("rate"), EtaSeconds = Real("eta_s"), Shot = Whole("shot"), Epoch = Whole("epoch"), Epochs = Whole("epochs"), Loss = Real("loss"),
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Whether the line is an `end` line (<see cref="End"/>).</summary>
    public static bool IsEnd(string line) => line.StartsWith("{\"stage\":\"end\"", StringComparison.Ordinal);

    /// <summary>
    /// A `--devices` worker's JSON line as its parent writes it: <paramref name="device"/> added last and `elapsed_s` on the
    /// parent's clock, so that it never runs backwards over the parent's whole stream (each worker's clock started when it
    /// did); null for a line that is no JSON object.
    /// </summary>
    public static string? Retagged(string line, string device, TimeSpan elapsed)
    {
        if (!line.StartsWith('{')) return null;
        try
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return null;
            return Line(w =>
            {
                foreach (var field in doc.RootElement.EnumerateObject())
                    if (field.NameEquals("elapsed_s")) w.WriteNumber("elapsed_s", Math.Round(elapsed.TotalSeconds, 3));
                    else field.WriteTo(w);
                w.WriteString("device", device);
            });
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The `end` line: the fields of every line (null: no stage's count applies) and `exit`, the exit code;
    /// `detail` is what the run said of its end (the error, the interruption), null when it succeeded.
    /// </summary>
    public static string End(int exit, string? said, TimeSpan elapsed) => Line(w =>
        {
            w.WriteString("stage", "end");
            foreach (var name in new[] { "done", "total", "rate", "eta_s", "shot", "epoch", "epochs", "loss" }) w.WriteNull(name);
            w.WriteNumber("elapsed_s", Math.Round(elapsed.TotalSeconds, 3));
            if (said is null) w.WriteNull("detail");
            else w.WriteString("detail", said);
            w.WriteNumber("exit", exit);
        });

    /// <summary>One JSON object on one line, its fields written by <paramref name="fields"/>.</summary>
    private static string Line(Action<Utf8JsonWriter> fields)
    {
        var buffer = new MemoryStream();
        // Relaxed escaping: the line goes to a terminal or a log, not into HTML, so "×" and "–" stay readable.
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            fields(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Six significant digits: a rate measured over seconds, or a loss, has no more worth reading.</summary>
    private static double? Significant(double? value) =>
        value is double v && double.IsFinite(v) ? double.Parse(v.ToString("G6", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : value;

    private static void Number(Utf8JsonWriter w, string name, double? value)
    {
        // JSON has no NaN: a diverged loss is written as unknown rather than breaking every parser.
        if (value is double v && double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    private void Write(RestoreProgress p)
    {
        _out.Write((_json ? Json(p) : Plain(p)) + "\n");
        _out.Flush();
    }

    /// <summary>What was last written for a stage, and the line held back since.</summary>
    private sealed class Shown
    {
        public bool Any;
        public TimeSpan At;
        public int Tenth;
        public RestoreProgress? Pending;
    }
}
