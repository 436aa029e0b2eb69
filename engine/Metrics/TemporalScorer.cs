using Reel.Engine.Backends;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Metrics;

/// <summary>
/// The temporal scores of bench/temporal_score.py, accumulated frame by frame (only the previous
/// frame and the last four frames' histograms are kept, so memory does not grow with the clip):
/// <list type="bullet">
/// <item>warp error: mean |O_t − warp(O_{t−1})| over RGB in [0, 1], warped along the DIS flow (medium
/// preset) of the <i>input</i>'s 8-bit luma from t to t−1, over the pixels passing the forward–backward
/// check; the mean over frame pairs with any such pixel. The floor is the same on the input frames.</item>
/// <item>Lai et al.'s warp error (ECCV 2018, as their evaluate_WarpError.py computes it, which the Deep Video
/// Prior paper reports): O_t warped back to t−1 along the flow from t−1 to t, the mean of the squared difference
/// to O_{t−1} over the channels of the pixels neither occluded (the same forward–backward check, from t−1) nor on
/// a motion boundary (|∇flow|² > 0.01·|flow|² + 0.002, forward differences), 0 for a pair with none; the mean
/// over every pair. Its floor is the same on the input frames.</item>
/// <item>CDC (TCVC): Jensen–Shannon divergence (nats) of each RGB channel's 64-bin histogram between
/// frames t and t + d, channels averaged, pairs averaged per d ∈ {1, 2, 4}, then the d averaged; and the
/// same at 256 bins, TCVC's own count (64 reproduced the figures the project was given). A clip of 2–4 frames averages
/// the d that have pairs, where TCVC's script gives NaN.</item>
/// <item>colourfulness: Hasler–Süsstrunk M on 0–255 RGB, mean over frames.</item>
/// <item>detail: Pearson correlation of the Laplacians (3×3, border reflected) of output and input luma
/// (0.299 R + 0.587 G + 0.114 B), mean over frames: blurring lowers the warp error, this catches it.</item>
/// <item>PSNR to processed: 10·log10(1 / mean over frames of the per-frame MSE).</item>
/// </list>
/// Flow, warps and the occlusion check run on the given backend.
/// </summary>
public sealed class TemporalScorer(IBackend backend)
{
    /// <summary>Histogram bins per channel of the colour-distribution consistency (CDC) measure; <see cref="TemporalReport.Cdc256"/> has one per level.</summary>
    public const int CdcBins = 64;
    private static readonly int[] Dilations = { 1, 2, 4 };

    private readonly IPreparedOp _flow = backend.Prepare(OpticalFlowOp.Medium);
    private readonly IPreparedOp _warp = backend.Prepare(new WarpOp());
    private readonly IPreparedOp _check = backend.Prepare(new FlowCheckOp());
    private readonly IPreparedOp _luma = backend.Prepare(new Luma8Op());
    private readonly List<double> _warpErrors = new(), _floors = new(), _laiErrors = new(), _laiFloors = new();
    /// <summary>The last frames' 256-level histograms, one per channel.</summary>
    private readonly Queue<double[][]> _histograms = new();
    private readonly double[] _cdcSum = new double[Dilations.Length], _cdc256Sum = new double[Dilations.Length];
    private readonly int[] _cdcPairs = new int[Dilations.Length];
    private double _colorfulness, _detail, _mse;
    private int _processed;
    private Tensor? _input, _output, _gray;

    /// <summary>Frames added so far.</summary>
    public int Frames { get; private set; }

    /// <summary>The next frame: input, output and (optionally) processed, each (1, 3, H, W) RGB in [0, 1], one size.</summary>
    public void Add(Tensor input, Tensor output, Tensor? processed = null)
    {
        if (!input.Shape.Equals(output.Shape) || input.Shape.C != 3 || input.Shape.N != 1)
            throw new ReelException($"frame {Frames}: input is {Describe(input)} but output is {Describe(output)}; they must be RGB frames of one size");
        if (processed is not null && !processed.Shape.Equals(output.Shape))
            throw new ReelException($"frame {Frames}: output is {Describe(output)} but processed is {Describe(processed)}");
        if (_input is not null && !_input.Shape.Equals(input.Shape))
            throw new ReelException($"frame {Frames} is {Describe(input)} but the first frame is {Describe(_input)}; all frames must be one size");
        if (Frames > 0 && processed is null != _processed < Frames)
            throw new ReelException("processed frames must be given for every frame or for none");

        var gray = _luma.Run(input);
        if (_input is not null)
        {
            var back = _flow.Run(gray, _gray!);
            var forward = _flow.Run(_gray!, gray);
            var mask = _check.Run(back, forward);
            if (mask.Span.IndexOfAnyExcept(0f) >= 0)
            {
                _warpErrors.Add(MaskedDifference(output, _warp.Run(_output!, back), mask));
                _floors.Add(MaskedDifference(input, _warp.Run(_input, back), mask));
            }
            // Lai et al.'s: frame t brought back to t−1, on t−1's pixels.
            var kept = _check.Run(forward, back);
            LeaveOutMotionBoundaries(forward, kept);
            _laiErrors.Add(MaskedSquaredDifference(_output!, _warp.Run(output, forward), kept));
            _laiFloors.Add(MaskedSquaredDifference(_input, _warp.Run(input, forward), kept));
        }
        AddHistogram(output);
        _colorfulness += Colorfulness(output);
        _detail += Detail(output, input);
        if (processed is not null)
        {
            _mse += MeanSquaredError(output, processed);
            _processed++;
        }
        (_input, _output, _gray) = (input, output, gray);
        Frames++;
    }

    /// <summary>The scores so far; at least two frames are needed.</summary>
    public TemporalReport Report()
    {
        if (Frames < 2) throw new ReelException($"temporal scores need at least 2 frames, got {Frames}");
        var dilations = Enumerable.Range(0, Dilations.Length).Where(d => _cdcPairs[d] > 0).ToList();
        double cdc = dilations.Average(d => _cdcSum[d] / _cdcPairs[d]), cdc256 = dilations.Average(d => _cdc256Sum[d] / _cdcPairs[d]);
        double? psnr = _processed == 0 ? null : _mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(1.0 / (_mse / _processed));
        return new TemporalReport(Mean(_warpErrors), Mean(_floors), cdc, _colorfulness / Frames, _detail / Frames, psnr, Frames)
        {
            WarpErrorLai = _laiErrors.Average(), WarpFloorLai = _laiFloors.Average(), Cdc256 = cdc256,
        };
    }

    private static double Mean(List<double> xs) => xs.Count == 0 ? double.NaN : xs.Average();

    /// <summary>Mean over the pixels where mask is 1 of the channel-averaged |a − b|.</summary>
    private static double MaskedDifference(Tensor a, Tensor b, Tensor mask)
    {
        int plane = mask.Length;
        double sum = 0;
        int count = 0;
        for (int p = 0; p < plane; p++)
        {
            if (mask.Data[p] == 0) continue;
            double d = 0;
            for (int c = 0; c < 3; c++) d += Math.Abs((double)a.Data[c * plane + p] - b.Data[c * plane + p]);
            sum += d / 3;
            count++;
        }
        return sum / count;
    }

    /// <summary>
    /// Mean over the pixels where mask is 1 and their channels of (a − b)², 0 where none is: Lai et al.'s per-pair error
    /// (their mask holds each pixel three times, and a pair with none divides a sum of zeros).
    /// </summary>
    private static double MaskedSquaredDifference(Tensor a, Tensor b, Tensor mask)
    {
        int plane = mask.Length;
        double sum = 0;
        int count = 0;
        for (int p = 0; p < plane; p++)
        {
            if (mask.Data[p] == 0) continue;
            for (int c = 0; c < 3; c++)
            {
                double d = (double)a.Data[c * plane + p] - b.Data[c * plane + p];
                sum += d * d;
            }
            count++;
        }
        return count == 0 ? 0 : sum / (3.0 * count);
    }

    /// <summary>
    /// Clears <paramref name="mask"/> on the motion boundaries of <paramref name="flow"/> (1, 2, H, W), as Lai et al.'s
    /// detect_occlusion does: where the squared forward differences of u and v to the next column and row (0 past the
    /// last) exceed 0.01·|flow|² + 0.002.
    /// </summary>
    private static void LeaveOutMotionBoundaries(Tensor flow, Tensor mask)
    {
        int h = flow.Shape.H, w = flow.Shape.W, plane = h * w;
        var u = flow.Data.AsSpan(0, plane);
        var v = flow.Data.AsSpan(plane, plane);
        for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
        {
            int p = i * w + j;
            double du = j + 1 < w ? u[p] - u[p + 1] : 0, dv = i + 1 < h ? u[p] - u[p + w] : 0;
            double eu = j + 1 < w ? v[p] - v[p + 1] : 0, ev = i + 1 < h ? v[p] - v[p + w] : 0;
            double gradient = du * du + dv * dv + eu * eu + ev * ev, magnitude = (double)u[p] * u[p] + (double)v[p] * v[p];
            if (gradient > 0.01 * magnitude + 0.002) mask.Data[p] = 0;
        }
    }

    private void AddHistogram(Tensor frame)
    {
        int plane = frame.Shape.H * frame.Shape.W;
        var h = new double[3][];
        for (int c = 0; c < 3; c++)
        {
            h[c] = new double[256];
            for (int p = 0; p < plane; p++) h[c][Luma8Op.Level(frame.Data[c * plane + p])]++;
            for (int b = 0; b < 256; b++) h[c][b] /= plane;
        }
        var previous = _histograms.ToArray();
        for (int d = 0; d < Dilations.Length; d++)
        {
            if (previous.Length < Dilations[d]) continue;
            var earlier = previous[^Dilations[d]];
            _cdc256Sum[d] += (JensenShannon(earlier[0], h[0]) + JensenShannon(earlier[1], h[1]) + JensenShannon(earlier[2], h[2])) / 3;
            _cdcSum[d] += (JensenShannon(Coarse(earlier[0]), Coarse(h[0])) + JensenShannon(Coarse(earlier[1]), Coarse(h[1])) + JensenShannon(Coarse(earlier[2]), Coarse(h[2]))) / 3;
            _cdcPairs[d]++;
        }
        _histograms.Enqueue(h);
        if (_histograms.Count > Dilations[^1]) _histograms.Dequeue();
    }

    /// <summary>A 256-level histogram in <see cref="CdcBins"/> bins of adjacent levels.</summary>
    private static double[] Coarse(double[] levels)
    {
        var bins = new double[CdcBins];
        for (int l = 0; l < levels.Length; l++) bins[l / (256 / CdcBins)] += levels[l];
        return bins;
    }

    private static double JensenShannon(double[] p, double[] q)
    {
        double kp = 0, kq = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double m = 0.5 * (p[i] + q[i]);
            if (p[i] > 0) kp += p[i] * Math.Log(p[i] / m);
            if (q[i] > 0) kq += q[i] * Math.Log(q[i] / m);
        }
        return 0.5 * kp + 0.5 * kq;
    }

    /// <summary>Hasler and Süsstrunk's M: √(σ_rg² + σ_yb²) + 0.3·√(μ_rg² + μ_yb²) on 0–255 RGB.</summary>
    public static double Colorfulness(Tensor rgb)
    {
        int plane = rgb.Shape.H * rgb.Shape.W;
        double srg = 0, syb = 0, qrg = 0, qyb = 0;
        for (int p = 0; p < plane; p++)
        {
            double r = rgb.Data[p] * 255.0, g = rgb.Data[plane + p] * 255.0, b = rgb.Data[2 * plane + p] * 255.0;
            double rg = r - g, yb = 0.5 * (r + g) - b;
            srg += rg; syb += yb; qrg += rg * rg; qyb += yb * yb;
        }
        double mrg = srg / plane, myb = syb / plane;
        double vrg = Math.Max(qrg / plane - mrg * mrg, 0), vyb = Math.Max(qyb / plane - myb * myb, 0);
        return Math.Sqrt(vrg + vyb) + 0.3 * Math.Sqrt(mrg * mrg + myb * myb);
    }

    /// <summary>Pearson correlation of the luma Laplacians of <paramref name="output"/> and <paramref name="input"/> (1 if both are flat and equal).</summary>
    public static double Detail(Tensor output, Tensor input)
    {
        var lo = LumaLaplacian(output);
        var li = LumaLaplacian(input);
        double ma = lo.Average(), mb = li.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < lo.Length; i++)
        {
            double a = lo[i] - ma, b = li[i] - mb;
            sab += a * b; saa += a * a; sbb += b * b;
        }
        if (saa == 0 || sbb == 0) return lo.AsSpan().SequenceEqual(li) ? 1 : 0;
        return sab / Math.Sqrt(saa * sbb);
    }

    /// <summary>The 4-neighbour Laplacian of 0.299 R + 0.587 G + 0.114 B, border reflected without repeating the edge (OpenCV's default).</summary>
    private static double[] LumaLaplacian(Tensor rgb)
    {
        int h = rgb.Shape.H, w = rgb.Shape.W, plane = h * w;
        var y = new double[plane];
        for (int p = 0; p < plane; p++) y[p] = 0.299 * rgb.Data[p] + 0.587 * rgb.Data[plane + p] + 0.114 * rgb.Data[2 * plane + p];
        static int Reflect(int i, int n) => n == 1 ? 0 : i < 0 ? -i : i >= n ? 2 * n - 2 - i : i;
        var lap = new double[plane];
        for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
            lap[i * w + j] = y[Reflect(i - 1, h) * w + j] + y[Reflect(i + 1, h) * w + j] + y[i * w + Reflect(j - 1, w)] + y[i * w + Reflect(j + 1, w)] - 4 * y[i * w + j];
        return lap;
    }

    private static double MeanSquaredError(Tensor a, Tensor b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = (double)a.Data[i] - b.Data[i];
            sum += d * d;
        }
        return sum / a.Length;
    }

    private static string Describe(Tensor t) => $"{t.Shape.W}×{t.Shape.H} with {t.Shape.C} channel(s)";
}
