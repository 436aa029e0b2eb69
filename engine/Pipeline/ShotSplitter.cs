using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Pipeline;

/// <summary>
/// Scene cuts, decided frame by frame as frames arrive (so a film streams through without being
/// held): the mean absolute difference of consecutive frames' 32-wide thumbnails is a cut when it
/// exceeds both 0.10 and 5× the median of the last <see cref="Window"/> differences within shots
/// (steady motion does not cut). A shot longer than <see cref="MaxFrames"/> is split there too,
/// which bounds the frames one prior trains on and the work lost to an interruption.
/// The same frames always give the same decisions, which a resumed run relies on. The thumbnails
/// (<see cref="ThumbnailOp"/>) are made on the backend the frames live on, so only they cross to
/// the host, whatever the frame's size.
/// </summary>
public sealed class ShotSplitter
{
    /// <summary>How many recent differences within shots the median is taken over.</summary>
    private const int Window = 30;
    private const double MinCutDifference = 0.10;
    private const double CutOverMedian = 5.0;
    private static readonly ThumbnailOp Thumbnail = new(32);
    private readonly IBackend _backend;
    private readonly Queue<double> _recent = new();
    private Tensor? _previous;
    private int _length;

    /// <summary>
    /// A splitter for frames in host memory (decoded frames, frame stores), whose thumbnails the CPU
    /// makes where the frames already are; a shot is cut at <paramref name="maxFrames"/> frames (at
    /// least 1) if no scene cut comes first.
    /// </summary>
    public ShotSplitter(int maxFrames = int.MaxValue) : this(FastBackend.Instance, maxFrames)
    {
    }

    /// <summary>A splitter for frames that live on <paramref name="backend"/> (a GPU's frames stay on the GPU; only their thumbnails come to the host).</summary>
    public ShotSplitter(IBackend backend, int maxFrames = int.MaxValue)
    {
        _backend = backend;
        if (maxFrames < 1) throw new UsageException($"a shot must be allowed at least 1 frame, got {maxFrames}");
        MaxFrames = maxFrames;
    }

    /// <summary>The longest shot this splitter lets through before it cuts.</summary>
    public int MaxFrames { get; }

    /// <summary>The shots of a stored sequence as [start, end) ranges covering every frame, cut as frames fed one by one would be.</summary>
    public static IReadOnlyList<(int Start, int End)> Shots(FrameStore frames, int maxFrames = int.MaxValue, CancellationToken cancel = default)
    {
        var splitter = new ShotSplitter(maxFrames);
        var shots = new List<(int, int)>();
        int start = 0;
        for (int t = 0; t < frames.Count; t++)
        {
            // A film's frames come back from disk: a stop does not wait for the rest of them.
            cancel.ThrowIfCancellationRequested();
            if (splitter.StartsShot(frames[t]))
            {
                shots.Add((start, t));
                start = t;
            }
        }
        shots.Add((start, frames.Count));
        return shots;
    }

    /// <summary>Feeds the next frame (1, C, H, W) in [0, 1]; true when it starts a new shot (never for the first frame).</summary>
    public bool StartsShot(Tensor frame)
    {
        using var small = _backend.Execute(Thumbnail, frame);
        var thumb = small.ToHost();
        bool cut = false;
        if (_previous is not null && _previous.Length == thumb.Length)
        {
            double sum = 0;
            for (int i = 0; i < thumb.Length; i++) sum += Math.Abs(thumb.Data[i] - _previous.Data[i]);
            double diff = sum / thumb.Length;
            var sorted = _recent.Order().ToArray();
            double median = sorted.Length > 0 ? sorted[sorted.Length / 2] : 0;
            cut = diff > MinCutDifference && diff > CutOverMedian * median;
            if (!cut)
            {
                _recent.Enqueue(diff);
                if (_recent.Count > Window) _recent.Dequeue();
            }
        }
        if (_previous is not null && _length >= MaxFrames) cut = true;
        _previous = thumb;
        _length = cut ? 1 : _length + 1;
        return cut;
    }
}
