namespace Reel.Engine.Pipeline;

/// <summary>
/// Where a run is: the stage, frames done of the total (0 when unknown), the stage's own detail and
/// the time since the run started. <see cref="ProgressMeter"/> adds the measured rate and the
/// whole job's ETA; the prior's training adds its shot, epoch and loss.
/// </summary>
public sealed record RestoreProgress(string Stage, long Done, long Total, string Detail, TimeSpan Elapsed)
{
    /// <summary>
    /// The total to report when <paramref name="done"/> frames are done of an input estimated at <paramref name="estimate"/>
    /// (0: the input does not say): the estimate, raised to the frames done where it fell short, and 0, unknown, where there
    /// is none. Raised from nothing it read done of done, every line 100% with an ETA of 0, on a stream that gives no count.
    /// </summary>
    public static long TotalOf(long estimate, long done) => estimate > 0 ? Math.Max(estimate, done) : 0;

    /// <summary>The 1-based shot (piece) the frames belong to; null where no shot applies.</summary>
    public int? Shot { get; init; }

    /// <summary>The prior's 1-based training epoch (stabilize only).</summary>
    public int? Epoch { get; init; }

    /// <summary>The prior's epochs per shot (stabilize only).</summary>
    public int? Epochs { get; init; }

    /// <summary>The prior's training loss at this step (stabilize only).</summary>
    public double? Loss { get; init; }

    /// <summary>
    /// The prior's last training step of the shot: where the shot's final loss and the ETA once it
    /// is trained stand, so a consumer that thins its lines keeps it.
    /// </summary>
    public bool EndsShot { get; init; }

    /// <summary>
    /// Frames' worth of <see cref="Done"/> that an interrupted run did and this event is the first to count (a shot's saved
    /// training taken up): <see cref="ProgressMeter"/> leaves them out of the rate. Not reported: it only corrects the rate.
    /// </summary>
    public double KeptFrames { get; init; }

    /// <summary>
    /// Frames per second of this stage's own work in this run (for stabilize a frame is all its
    /// epochs); null before the stage's first frame and for events that are not a stage's work.
    /// </summary>
    public double? Rate { get; init; }

    /// <summary>Seconds until the whole job is done, the prior's remaining epochs included; null while unknown.</summary>
    public double? EtaSeconds { get; init; }
}
