using Reel.Engine.Backends;
using Reel.Engine.Pipeline;
using Reel.Engine.Video;

namespace Reel.Engine.Metrics;

/// <summary>
/// `reel eval temporal`: the frames of an input, an output and optionally the processed
/// sequence (folders of images in name order or videos, as everywhere in reel) read in lockstep,
/// one frame of each at a time, and scored by <see cref="TemporalScorer"/>.
/// </summary>
public static class TemporalEvaluation
{
    /// <param name="maxFrames">Score only the first this many frames (0: all).</param>
    /// <param name="deinterlace">How the input is read, as the restore that made the output read it (the output and processed frames are taken as they are).</param>
    public static TemporalReport Run(string input, string output, string? processed, int maxFrames, IBackend backend, Action<int>? onFrame = null,
        Deinterlace deinterlace = Deinterlace.Off)
    {
        if (maxFrames < 0) throw new UsageException($"--frames must be ≥ 0, got {maxFrames}");
        var sources = new[] { FrameSource.Open(input, deinterlace: deinterlace, role: "--input") }
            .Concat(new[] { (output, "--output") }.Concat(processed is null ? [] : new[] { (processed, "--processed") })
                .Select(p => FrameSource.Open(p.Item1, role: p.Item2))).ToArray();
        var names = new[] { "input", "output", "processed" };
        for (int k = 1; k < sources.Length; k++)
            if (sources[k].Width != sources[0].Width || sources[k].Height != sources[0].Height)
                throw new ReelException($"the {names[k]} frames are {sources[k].Width}×{sources[k].Height} but the input frames are {sources[0].Width}×{sources[0].Height}");
        var scorer = new TemporalScorer(backend);
        var readers = sources.Select(s => s.Read(PixelFormat.Rgb24).GetEnumerator()).ToArray();
        try
        {
            while (maxFrames == 0 || scorer.Frames < maxFrames)
            {
                var more = readers.Select(r => r.MoveNext()).ToArray();
                if (more.All(m => !m)) break;
                if (more.Any(m => !m))
                    throw new ReelException($"the sequences differ in length: after {scorer.Frames} frames the {string.Join(" and ", names.Where((_, k) => k < more.Length && !more[k]))} ended");
                var frames = readers.Select((r, k) => ImageIO.ToTensor(r.Current.Pixels, sources[k].Width, sources[k].Height, PixelFormat.Rgb24)).ToArray();
                scorer.Add(frames[0], frames[1], frames.Length > 2 ? frames[2] : null);
                onFrame?.Invoke(scorer.Frames);
            }
        }
        finally
        {
            foreach (var r in readers) r.Dispose();
        }
        return scorer.Report();
    }
}
