using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using Reel.Engine.Video;

namespace Reel.Engine.Pipeline;

/// <summary>
/// Makes a <see cref="ShotPlan"/>: decodes the film once, as a one-process restore decodes it (the
/// same pixel format), and feeds every frame to the same <see cref="ShotSplitter"/> that restore
/// uses before any network runs, so the shots are exactly the pieces a one-process restore makes.
/// Each shot's frames (times and pixels) are hashed, so a worker can prove it decoded the same ones.
/// </summary>
public static class ShotPlanner
{
    private const int FramesDecodedAhead = 8;

    /// <summary>The settings a plan of <paramref name="source"/> with <paramref name="options"/> records, known before the film is decoded.</summary>
    public static IReadOnlyDictionary<string, string> Settings(FrameSource source, RestoreOptions options) => RestorePipeline.Settings(source, options);

    /// <summary>
    /// The plan for restoring <paramref name="source"/> with <paramref name="options"/> (their
    /// networks loaded, for the denoiser's channels and the checkpoints' identities; none runs).
    /// With <see cref="RestoreOptions.Strict"/>, what decoding loses is an error instead of a warning.
    /// </summary>
    /// <param name="settings">
    /// <see cref="Settings"/> of the same source and options, computed once by the caller, who may check them against an
    /// earlier plan before the film is decoded (they hash the input's samples and every checkpoint).
    /// </param>
    /// <param name="arguments">The options as the command line gave them, for the workers to replay.</param>
    /// <param name="progress">Told the frames planned ("plan" events), warnings, and the notes a restore gives of its input.</param>
    public static ShotPlan Make(FrameSource source, RestoreOptions options, IReadOnlyDictionary<string, string> settings, IReadOnlyList<string> arguments,
        Action<RestoreProgress>? progress = null, CancellationToken cancel = default)
    {
        var format = ShotRestorer.FormatFor(options);
        bool strict = options.Strict;
        var clock = Stopwatch.StartNew();
        var meter = new ProgressMeter(0, 0, RestoreStage.Plan);
        long total = source.EstimatedCount ?? 0;
        void Lost(string text)
        {
            if (strict) throw new InputLossException($"{text} (--strict)");
            progress?.Invoke(new RestoreProgress(RestoreStage.Warning, 0, 0, text, clock.Elapsed));
        }
        foreach (var gap in source.MissingFrames) Lost(gap);
        // The workers' pieces are encoded with the plan's encoder, or the default one (libx264) where it names none.
        foreach (var note in RestorePipeline.InputNotes(source, null, options with { Encode = options.Encode.For(null) }, cancel))
            progress?.Invoke(new RestoreProgress(RestoreStage.Note, 0, 0, note, clock.Elapsed));
        var splitter = new ShotSplitter(options.MaxShotFrames);
        var shots = new List<PlannedShot>();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        int first = 0, frames = 0;
        long firstPts = 0, lastPts = 0;
        foreach (var f in Prefetch.Ahead(source.Read(format, cancel), FramesDecodedAhead, cancel))
        {
            cancel.ThrowIfCancellationRequested();
            if (f.Resized) Lost($"{source.SourcePath}: frame {f.Index} comes at another size than {source.Width}×{source.Height} (the size changes mid-stream)");
            if (splitter.StartsShot(ImageIO.ToTensor(f.Pixels, source.Width, source.Height, format)))
            {
                shots.Add(new PlannedShot(shots.Count, first, f.Index - 1, firstPts, lastPts, Convert.ToHexStringLower(hash.GetHashAndReset())));
                (first, firstPts) = (f.Index, f.PtsNs);
            }
            if (f.Index == 0) firstPts = f.PtsNs;
            AddFrame(hash, f);
            lastPts = f.PtsNs;
            frames = f.Index + 1;
            progress?.Invoke(meter.Measure(new RestoreProgress(RestoreStage.Plan, frames, RestoreProgress.TotalOf(total, frames), $"shots so far: {shots.Count + 1}", clock.Elapsed)));
        }
        shots.Add(new PlannedShot(shots.Count, first, frames - 1, firstPts, lastPts, Convert.ToHexStringLower(hash.GetHashAndReset())));
        foreach (var loss in source.Losses()) Lost(loss);
        return new ShotPlan(ShotPlan.CurrentVersion, Path.GetFullPath(source.SourcePath), frames, settings, arguments, shots);
    }

    /// <summary>A frame's share of its shot's hash: its time, then its pixels.</summary>
    internal static void AddFrame(IncrementalHash hash, SourceFrame frame)
    {
        Span<byte> time = stackalloc byte[sizeof(long)];
        BinaryPrimitives.WriteInt64LittleEndian(time, frame.PtsNs);
        hash.AppendData(time);
        hash.AppendData(frame.Pixels);
    }
}
