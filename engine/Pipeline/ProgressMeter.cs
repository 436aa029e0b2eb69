namespace Reel.Engine.Pipeline;

/// <summary>
/// Adds measured rates and a whole-job ETA to a run's progress events, once, for every consumer
/// (the CLI's bar, plain and JSON lines, the C ABI's callback).
/// <para>
/// The stages run on one thread and interleave (a frame is processed, then encoded; a shot is
/// trained, then encoded), so each event is charged the time since the previous event of any
/// kind: a stage's rate is the frames it finished in this run over the seconds charged to it,
/// never over a clock another stage's line restarted. The ETA adds, over the work stages, the
/// frames each has left times its measured seconds per frame. For the prior, a frame is all its
/// epochs, so its seconds per frame are the measured seconds per frame-epoch times the epochs and
/// the ETA counts the training still to come. The ETA leaves out the first event of each run of a
/// stage where the run has more: it carries the run's setup (a shot's Lab frames, its net and
/// first step; the decoder's start), which on a long shot would otherwise inflate every step
/// still to come for minutes. The ETA is unknown (null) until every stage with work left has
/// been measured, except that encoding behind the prior, before its first frame, is
/// taken to cost a third of a training step per frame: it runs the net forward once, and a step
/// runs it forward and backward (about twice the forward) and Adam (small).
/// </para>
/// </summary>
public sealed class ProgressMeter
{
    /// <summary>A training step costs about three forward passes (see the class summary).</summary>
    private const double StepsPerForward = 3;
    private readonly Dictionary<string, Stage> _stages = new();
    private readonly long _alreadyDone;
    private readonly int _priorEpochs;
    private long _total;
    private TimeSpan _last;
    private string _lastStage = "";

    /// <summary>A meter for one run, before its first event.</summary>
    /// <param name="alreadyDone">Frames finished before this run (kept from an interrupted one): no stage does them again.</param>
    /// <param name="priorEpochs">Epochs the prior trains per shot; 0 when no prior runs.</param>
    /// <param name="workStages">The stages of <see cref="RestoreStage"/> this run does for every frame.</param>
    public ProgressMeter(long alreadyDone, int priorEpochs, params string[] workStages)
    {
        (_alreadyDone, _priorEpochs) = (alreadyDone, priorEpochs);
        foreach (var s in workStages) _stages[s] = new Stage { Done = alreadyDone };
    }

    /// <summary>
    /// The event with <see cref="RestoreProgress.Rate"/> and <see cref="RestoreProgress.EtaSeconds"/>
    /// filled in. Call it for every event, in order, as it happens.
    /// </summary>
    /// <param name="exactDone">Frames done with a fraction (the prior's training steps), when Done is rounded down.</param>
    public RestoreProgress Measure(RestoreProgress p, double? exactDone = null)
    {
        double seconds = Math.Max(0, (p.Elapsed - _last).TotalSeconds);
        if (p.Elapsed > _last) _last = p.Elapsed;
        _total = Math.Max(_total, p.Total);
        double? rate = null;
        if (_stages.TryGetValue(p.Stage, out var stage))
        {
            double done = Math.Max(stage.Done, exactDone ?? p.Done);
            if (p.Stage == _lastStage)
            {
                stage.SteadySeconds += seconds;
                stage.SteadyDone += done - stage.Done - p.KeptFrames;
            }
            stage.Seconds += seconds;
            stage.Done = done;
            stage.Kept += p.KeptFrames;
            rate = Rate(stage);
        }
        _lastStage = p.Stage;
        return p with { Rate = rate, EtaSeconds = Eta() };
    }

    private double? Rate(Stage s)
    {
        double frames = s.Done - _alreadyDone - s.Kept;
        return frames > 0 && s.Seconds > 0 ? frames / s.Seconds : null;
    }

    /// <summary>The rate without each run's first event, where there is such a measurement; else <see cref="Rate"/>.</summary>
    private double? SteadyRate(Stage s) => s.SteadyDone > 0 && s.SteadySeconds > 0 ? s.SteadyDone / s.SteadySeconds : Rate(s);

    private double? Eta()
    {
        if (_total <= 0) return null;
        double eta = 0;
        foreach (var (name, stage) in _stages)
        {
            double left = _total - stage.Done;
            if (left <= 0) continue;
            double? secondsPerFrame = 1 / SteadyRate(stage);
            if (secondsPerFrame is null && name == RestoreStage.Encode && _priorEpochs > 0
                && _stages.TryGetValue(RestoreStage.Stabilize, out var prior) && SteadyRate(prior) is double priorRate)
                secondsPerFrame = 1 / (priorRate * _priorEpochs) / StepsPerForward;
            if (secondsPerFrame is null) return null;
            eta += left * secondsPerFrame.Value;
        }
        return eta;
    }

    /// <summary>A work stage's frames done (absolute, with a fraction) and the seconds charged to it; the same without each run's first event.</summary>
    private sealed class Stage
    {
        public double Done;
        /// <summary>Frames' worth of <see cref="Done"/> an interrupted run did within this run's shots (<see cref="RestoreProgress.KeptFrames"/>).</summary>
        public double Kept;
        public double Seconds;
        public double SteadyDone;
        public double SteadySeconds;
    }
}
