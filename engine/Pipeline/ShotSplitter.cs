using Reel.Engine.Tensors;

namespace Reel.Engine.Pipeline;

/// <summary>
/// Scene cuts, decided frame by frame as frames arrive (so a film streams through without being
/// held): the mean absolute difference of consecutive frames' 32-wide thumbnails is a cut when it
/// exceeds both 0.10 and 5× the median of the last <see cref="Window"/> differences within shots
/// (steady motion does not cut). A shot longer than <see cref="MaxFrames"/> is split there too,
/// which bounds the frames one prior trains on and the work lost to an interruption.
/// The same frames always give the same decisions, which a resumed run relies on.
/// </summary>
public sealed class ShotSplitter
{
    /// <summary>How many recent differences within shots the median is taken over.</summary>
    private const int Window = 30;
    private const double MinCutDifference = 0.10;
    private const double CutOverMedian = 5.0;
    private readonly Queue<double> _recent = new();
    private Tensor? _previous;
    private int _length;

    /// <summary>A splitter that has seen no frame; a shot is cut at <paramref name="maxFrames"/> frames (at least 1) if no scene cut comes first.</summary>
    public ShotSplitter(int maxFrames = int.MaxValue)
    {
        if (maxFrames < 1) throw new ReelException($"a shot must be allowed at least 1 frame, got {maxFrames}");
        MaxFrames = maxFrames;
    }

    /// <summary>The longest shot this splitter lets through before it cuts.</summary>
    public int MaxFrames { get; }

    /// <summary>The shots of a stored sequence as [start, end) ranges covering every frame, cut as frames fed one by one would be.</summary>
    public static IReadOnlyList<(int Start, int End)> Shots(FrameStore frames, int maxFrames = int.MaxValue)
    {
        var splitter = new ShotSplitter(maxFrames);
        var shots = new List<(int, int)>();
        int start = 0;
        for (int t = 0; t < frames.Count; t++)
            if (splitter.StartsShot(frames[t]))
            {
                shots.Add((start, t));
                start = t;
            }
        shots.Add((start, frames.Count));
        return shots;
    }

    /// <summary>Feeds the next frame (1, C, H, W) in [0, 1]; true when it starts a new shot (never for the first frame).</summary>
    public bool StartsShot(Tensor frame)
    {
        var thumb = Thumbnail(frame);
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

    private static Tensor Thumbnail(Tensor frame)
    {
        var s = frame.Shape;
        int w = Math.Min(32, s.W), h = Math.Max(1, s.H * w / s.W);
        var t = new Tensor(new Shape(1, 1, h, w));
        for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
        {
            double sum = 0;
            int count = 0;
            for (int a = i * s.H / h; a < (i + 1) * s.H / h; a++)
            for (int b = j * s.W / w; b < (j + 1) * s.W / w; b++)
            for (int c = 0; c < s.C; c++, count++)
                sum += frame.At(0, c, a, b);
            t.Data[i * w + j] = (float)(sum / Math.Max(count, 1));
        }
        return t;
    }
}
