using System.Diagnostics;
using Reel.Engine.Models;
using Reel.Engine.Temporal;
using Reel.Engine.Video;

namespace Reel.Engine.Pipeline;

/// <summary>Which stages run and how.</summary>
public sealed record RestoreOptions
{
    /// <summary>The denoiser, run first on every frame; null to skip denoising.</summary>
    public DnCnn? Denoiser { get; init; }
    /// <summary>The colorizer, run after the denoiser: it predicts each frame's colour from its lightness; null to skip colorization.</summary>
    public Colorizer? Colorizer { get; init; }
    /// <summary>Softmax temperature of the colorizer's annealed mean (see <see cref="ColorizeStage.DefaultTemperature"/>); lower is more saturated.</summary>
    public float Temperature { get; init; } = ColorizeStage.DefaultTemperature;
    /// <summary>Run the temporal stage (<see cref="Temporal"/>) after the per-frame networks.</summary>
    public bool Stabilize { get; init; } = true;
    /// <summary>Chroma mode by default: it left less flicker than RGB mode at a third of the time (README).</summary>
    public StabilizeOptions Prior { get; init; } = StabilizeOptions.For(StabilizeMode.Chroma);
    /// <summary>Which temporal stage runs when <see cref="Stabilize"/> is on: the prior, or the flow-guided one (README has the table).</summary>
    public TemporalMethod Temporal { get; init; } = TemporalMethod.Prior;
    /// <summary>Settings of the flow-guided stage; chroma, as the prior's.</summary>
    public FlowTemporalOptions Flow { get; init; } = new() { Mode = StabilizeMode.Chroma };
    /// <summary>With the flow-guided stage and the colorizer: fuse the colorizer's distributions along the flow before the annealed mean.</summary>
    public bool FuseColours { get; init; }
    /// <summary>Longest shot one prior trains on; longer shots are split. Also the most work an interruption can lose.</summary>
    public int MaxShotFrames { get; init; } = 300;
    /// <summary>How a video output is encoded; unused for a folder of frames.</summary>
    public EncodeSettings Encode { get; init; } = new();
    /// <summary>Continue an interrupted run of the same job instead of refusing to touch its work folder.</summary>
    public bool Resume { get; init; }
    /// <summary>
    /// Whether a <see cref="Resume"/> with nothing to continue is said in a note: where the caller asked for it (--resume,
    /// job.resume), not where it is implied (the C ABI's job-less calls always continue an interrupted run, and would
    /// note every fresh start).
    /// </summary>
    public bool NoteFreshStart { get; init; } = true;
    /// <summary>Whether an interlaced video's fields are joined before it is restored (a folder's frames are taken whole).</summary>
    public Deinterlace Deinterlace { get; init; } = Deinterlace.Auto;
    /// <summary>Only this stretch of the input (<c>--from</c>, <c>--to</c>), timed from zero in the output; null for all of it.</summary>
    public TimeRange? Range { get; init; }
    /// <summary>Frame rate given to a folder of frames.</summary>
    public string FolderFrameRate { get; init; } = FrameSource.DefaultFolderRate;
    /// <summary>
    /// What the run may hold beyond its fixed overhead (see <see cref="MemoryPlan"/>): the networks' working
    /// memory for a frame and the frames waiting for their prior. Default: half the memory this process may use.
    /// </summary>
    public long MemoryBudgetBytes { get; init; } = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2;
    /// <summary>Make every loss the decoding reports (frames that did not decode, a size change, another duration) an error instead of a warning.</summary>
    public bool Strict { get; init; }

    /// <summary>The input as these options read it: a folder's rate, the deinterlacing, the range.</summary>
    public FrameSource OpenSource(string input) => FrameSource.Open(input, FolderFrameRate, Deinterlace, Range);

    /// <summary>The temporal stage is the prior: each shot's frames wait in stores until it has trained on them.</summary>
    public bool TrainsPrior => Stabilize && Temporal == TemporalMethod.Prior;

    /// <summary>The temporal stage is the flow-guided one, which streams.</summary>
    public bool FollowsFlow => Stabilize && Temporal == TemporalMethod.Flow;

    /// <summary>Refuses settings the temporal stage that will run cannot take, before any work.</summary>
    public void ValidateTemporal()
    {
        if (FollowsFlow) Flow.Validate();
        else if (TrainsPrior) Prior.Validate();
    }

    /// <summary>The progress meter of a run of these stages with <paramref name="alreadyDone"/> frames finished before it.</summary>
    public ProgressMeter NewMeter(long alreadyDone) => TrainsPrior
        ? new ProgressMeter(alreadyDone, Prior.Epochs, RestoreStage.Process, RestoreStage.Stabilize, RestoreStage.Encode)
        : new ProgressMeter(alreadyDone, 0, RestoreStage.Process, RestoreStage.Encode);
}
