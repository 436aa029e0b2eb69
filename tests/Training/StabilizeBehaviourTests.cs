using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Metrics;
using Reel.Engine.Models;
using Reel.Engine.Ops;
using Reel.Engine.Pipeline;
using Reel.Engine.Tensors;
using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Training;

/// <summary>The Deep Video Prior on the real bike-packing clip, downscaled so it fits in CI.</summary>
public class StabilizeBehaviourTests
{
    [Fact]
    public void OutputFlickersLessThanTheProcessedFramesAndStaysClose()
    {
        const int frames = 6, width = 120, height = 64;
        var inputDir = TestPaths.SharedData("video/bike-packing-input");
        var processedDir = TestPaths.SharedData("video/bike-packing-processed");
        var names = Directory.GetFiles(inputDir, "*.jpg").Select(Path.GetFileName).Order(StringComparer.Ordinal).Take(frames).ToList();
        Assert.Equal(frames, names.Count);
        using var input = new FrameStore(1 << 30);
        using var processed = new FrameStore(1 << 30);
        foreach (var n in names)
        {
            input.Add(FastBackend.Instance.Execute(new ResizeBicubicOp(height, width), ImageIO.Read(Path.Combine(inputDir, n!), PixelFormat.Rgb24)));
            processed.Add(FastBackend.Instance.Execute(new ResizeBicubicOp(height, width), ImageIO.Read(Path.Combine(processedDir, n!), PixelFormat.Rgb24)));
        }

        // 5× the paper's learning rate so 180 iterations on 6 small frames get where 50 epochs of a clip would.
        var output = new Tensor[frames];
        var options = new StabilizeOptions { Epochs = 30, Irt = false, Width = 16, Seed = 1, LearningRate = 5e-4f };
        StabilizeStage.Run(input, processed, options, FastBackend.Instance, (t, f) => output[t] = f);

        var inputs = Enumerable.Range(0, frames).Select(t => input[t]).ToList();
        var targets = Enumerable.Range(0, frames).Select(t => processed[t]).ToList();
        double before = Flicker.Measure(targets, inputs), after = Flicker.Measure(output, inputs);
        double psnr = Enumerable.Range(0, frames).Average(t => ImageMetrics.Psnr(output[t], targets[t]));
        Console.WriteLine($"bike-packing {frames} frames {width}×{height}: flicker processed {before:F4} → stabilized {after:F4}, PSNR to processed {psnr:F2} dB");
        Assert.All(output, f => Assert.Equal(new Shape(1, 3, height, width), f.Shape));
        Assert.True(after < 0.8 * before, $"flicker {after:F4} is not clearly below the processed frames' {before:F4}");
        Assert.True(psnr > 20, $"stabilized frames drifted from the processed ones: {psnr:F2} dB");
    }

    /// <summary>
    /// The warm epochs fit the shot's first frame alone at their own step: warmed for 5 epochs at 3e-3
    /// on a red first frame, the prior still answers red on the blue frames after one epoch over every
    /// frame at 1e-4 (a fresh Adam's first steps move each weight by about the step); without the
    /// warm-up the same 6 epochs at 1e-4 leave it far from red.
    /// </summary>
    [Fact]
    public void WarmEpochsFitTheFirstFrameAloneAtTheirOwnStep()
    {
        const int frames = 4, size = 16, plane = size * size;
        double[] RedOverBlue(int warm)
        {
            using var input = new FrameStore(1 << 30);
            using var processed = new FrameStore(1 << 30);
            for (int t = 0; t < frames; t++)
            {
                var gray = new Tensor(new Shape(1, 3, size, size));
                var target = new Tensor(new Shape(1, 3, size, size));
                for (int i = 0; i < plane; i++)
                {
                    float l = 0.4f + 0.02f * ((i * 7) % 5);
                    for (int c = 0; c < 3; c++) gray.Data[c * plane + i] = l;
                    (target.Data[i], target.Data[plane + i], target.Data[2 * plane + i]) = t == 0 ? (0.9f, 0.1f, 0.1f) : (0.1f, 0.1f, 0.9f);
                }
                input.Add(gray);
                processed.Add(target);
            }
            var output = new Tensor[frames];
            var options = new StabilizeOptions { Epochs = 6, Irt = false, Width = 8, Seed = 1, WarmEpochs = warm, WarmLearningRate = 3e-3f, SplitShots = false };
            StabilizeStage.Run(input, processed, options, FastBackend.Instance, (t, f) => output[t] = f);
            return output.Select(f => (double)f.Data.AsSpan(0, plane).ToArray().Average() - f.Data.AsSpan(2 * plane, plane).ToArray().Average()).ToArray();
        }
        double[] warmed = RedOverBlue(5), plain = RedOverBlue(0);
        for (int t = 1; t < frames; t++)
        {
            Assert.True(warmed[t] > 0.5, $"frame {t}: red − blue {warmed[t]:F3} after the warm-up on the red frame");
            Assert.True(warmed[t] - plain[t] > 0.3, $"frame {t}: red − blue {warmed[t]:F3} warmed, {plain[t]:F3} without");
        }
    }

    /// <summary>
    /// Frames whose left half is teal (a, b &lt; 0) and right half orange (a, b &gt; 0), both inside the
    /// sRGB gamut, over a faint texture in L, added to <paramref name="processed"/>; and the same frames
    /// gray (a, b = 0), added to <paramref name="gray"/>.
    /// </summary>
    private static void AddTealAndOrangeHalves(FrameStore gray, FrameStore processed, int frames, int size)
    {
        int plane = size * size;
        for (int t = 0; t < frames; t++)
        {
            var lab = new Tensor(new Shape(1, 3, size, size));
            for (int i = 0; i < plane; i++)
            {
                bool left = i % size < size / 2;
                lab.Data[i] = (left ? 60 : 45) + (i * 7 + t) % 5;
                lab.Data[plane + i] = left ? -28 : 30;
                lab.Data[2 * plane + i] = left ? -12 : 25;
            }
            processed.Add(Reel.Engine.Color.Lab.ToRgb(lab));
            for (int i = plane; i < 3 * plane; i++) lab.Data[i] = 0;
            gray.Add(Reel.Engine.Color.Lab.ToRgb(lab));
        }
    }

    /// <summary>
    /// Chroma mode codes a and b centred on 0, so half the hue circle (greens, blues) is negative: a
    /// clamp of the net's answer to [0, 1], right for RGB, turned every such colour gray (it did, from
    /// the centring until this test).
    /// </summary>
    [Fact]
    public void ChromaModeKeepsNegativeAAndB()
    {
        const int frames = 3, size = 48;
        using var gray = new FrameStore(1 << 30);
        using var processed = new FrameStore(1 << 30);
        AddTealAndOrangeHalves(gray, processed, frames, size);
        var output = new Tensor[frames];
        var options = new StabilizeOptions { Mode = StabilizeMode.Chroma, ChromaScale = 2, Epochs = 60, Irt = false, Width = 8, LearningRate = 2e-3f };
        StabilizeStage.Run(gray, processed, options, FastBackend.Instance, (t, f) => output[t] = f);

        // Region means away from the borders and the edge between the halves, which the chroma's half size blurs.
        static double Mean(Tensor lab, int channel, bool left) => Enumerable.Range(0, size * size)
            .Where(i => i % size < size / 2 == left && i % size > 3 && i % size < size - 4 && Math.Abs(i % size - size / 2) > 4)
            .Average(i => lab.Data[channel * size * size + i]);
        var got = Reel.Engine.Color.Lab.FromRgb(output[frames - 1]);
        var want = Reel.Engine.Color.Lab.FromRgb(processed[frames - 1]);
        foreach (var (channel, left) in new[] { (1, true), (2, true), (1, false), (2, false) })
        {
            double g = Mean(got, channel, left), w = Mean(want, channel, left);
            Console.WriteLine($"chroma mode: {(left ? "teal" : "orange")} half, {(channel == 1 ? 'a' : 'b')} {g:F1} (processed {w:F1})");
            Assert.True(Math.Abs(w) > 10, $"the test's colour is not saturated: {w:F1}");
            Assert.True(Math.Abs(g - w) < 4, $"{(left ? "teal" : "orange")} half: {(channel == 1 ? 'a' : 'b')} is {g:F1}, the processed frames' {w:F1}");
        }
    }

    /// <summary>
    /// A prior stopped long before its fit has the wrong colour (here off-centre, spread too little); matched, the
    /// shot's mean a, b and its spread about them are the processed frames' (steady frames here: no
    /// flicker to take out of the spread, ShotChromaTests has that).
    /// </summary>
    [Fact]
    public void MatchedChromaHasTheProcessedFramesMeanAndSpread()
    {
        const int frames = 3, size = 48;
        using var gray = new FrameStore(1 << 30);
        using var processed = new FrameStore(1 << 30);
        AddTealAndOrangeHalves(gray, processed, frames, size);
        int plane = size * size;
        // The shot's mean a, b and the RMS distance of its pixels' a, b from them.
        (double A, double B, double Spread) Moments(IEnumerable<Tensor> rgb)
        {
            var labs = rgb.Select(Reel.Engine.Color.Lab.FromRgb).ToArray();
            double a = labs.Average(l => l.Data.AsSpan(plane, plane).ToArray().Average());
            double b = labs.Average(l => l.Data.AsSpan(2 * plane, plane).ToArray().Average());
            double variance = labs.Average(l => Enumerable.Range(0, plane).Average(i => Math.Pow(l.Data[plane + i] - a, 2) + Math.Pow(l.Data[2 * plane + i] - b, 2)));
            return (a, b, Math.Sqrt(variance));
        }
        var want = Moments(Enumerable.Range(0, frames).Select(t => processed[t]));
        (double A, double B, double Spread) Run(bool match)
        {
            var output = new Tensor[frames];
            var options = new StabilizeOptions { Mode = StabilizeMode.Chroma, ChromaScale = 2, Epochs = 12, Irt = false, Width = 8, LearningRate = 1e-3f, MatchChroma = match };
            StabilizeStage.Run(gray, processed, options, FastBackend.Instance, (t, f) => output[t] = f);
            return Moments(output);
        }
        var (plain, matched) = (Run(false), Run(true));
        Console.WriteLine($"chroma mode after 12 epochs: mean a, b ({plain.A:F1}, {plain.B:F1}), spread {plain.Spread:F1}; matched ({matched.A:F1}, {matched.B:F1}), {matched.Spread:F1}; " +
                          $"the processed frames' ({want.A:F1}, {want.B:F1}), {want.Spread:F1}");
        Assert.True(Math.Abs(plain.Spread / want.Spread - 1) > 0.15 && Math.Abs(plain.B - want.B) > 10,
            $"the test's prior already has the processed frames' chroma (mean b {plain.B:F1} of {want.B:F1}, spread {plain.Spread:F1} of {want.Spread:F1}): nothing to match");
        // Within what sRGB's gamut clips of the matched answer's most saturated pixels.
        Assert.InRange(matched.Spread / want.Spread, 0.9, 1.1);
        Assert.InRange(matched.A - want.A, -2.5, 2.5);
        Assert.InRange(matched.B - want.B, -2.5, 2.5);
    }

    [Fact]
    public void ChromaModeRemovesChromaFlickerAndKeepsTheProcessedLightness()
    {
        const int frames = 6, width = 128, height = 64;
        var dir = TestPaths.SharedData("video/bike-packing-input");
        var noise = new StandardNormal(3);
        using var gray = new FrameStore(1 << 30);
        using var processed = new FrameStore(1 << 30);
        foreach (var n in Directory.GetFiles(dir, "*.jpg").Order(StringComparer.Ordinal).Take(frames))
        {
            var lab = Reel.Engine.Color.Lab.FromRgb(FastBackend.Instance.Execute(new ResizeBicubicOp(height, width), ImageIO.Read(n, PixelFormat.Rgb24)));
            int plane = width * height;
            var g = lab.Clone();
            Array.Clear(g.Data, plane, 2 * plane);
            gray.Add(Reel.Engine.Color.Lab.ToRgb(g));
            // A frame-by-frame colorizer's flicker: a random chroma gain and shift per frame.
            double gain = 1 + 0.25 * noise.Next(), da = 6 * noise.Next(), db = 6 * noise.Next();
            for (int i = 0; i < plane; i++)
            {
                lab.Data[plane + i] = (float)(lab.Data[plane + i] * gain + da);
                lab.Data[2 * plane + i] = (float)(lab.Data[2 * plane + i] * gain + db);
            }
            processed.Add(Reel.Engine.Color.Lab.ToRgb(lab));
        }
        var output = new Tensor[frames];
        // The cast asserted below is the net's own (its coding of a and b), so the shot's chroma match, a
        // gain around 0 that scales whatever the net answers, is left out.
        var options = new StabilizeOptions { Mode = StabilizeMode.Chroma, ChromaScale = 2, Epochs = 30, Irt = false, Width = 16, LearningRate = 5e-4f, MatchChroma = false };
        StabilizeStage.Run(gray, processed, options, FastBackend.Instance, (t, f) => output[t] = f);

        var inputs = Enumerable.Range(0, frames).Select(t => gray[t]).ToList();
        var targets = Enumerable.Range(0, frames).Select(t => processed[t]).ToList();
        double before = Flicker.Measure(targets, inputs), after = Flicker.Measure(output, inputs);
        Console.WriteLine($"chroma mode: flicker {before:F4} → {after:F4}");
        Assert.True(after < 0.6 * before, $"chroma flicker {after:F4} vs processed {before:F4}");
        int area = width * height;
        var labOut = output.Select(Reel.Engine.Color.Lab.FromRgb).ToArray();
        var labIn = targets.Select(Reel.Engine.Color.Lab.FromRgb).ToArray();
        var cast = new double[2];
        for (int t = 0; t < frames; t++)
        {
            double diff = 0;
            for (int i = 0; i < area; i++) diff += Math.Abs(labOut[t].Data[i] - labIn[t].Data[i]);
            Assert.True(diff / area < 1.5, $"frame {t}: L moved by {diff / area:F2}");
        }
        // The L1 fit of a pixel's chroma is the median of the processed frames' (the flicker is a
        // per-frame shift around it): on average over the shot the output stays there, or the net
        // made a colour cast.
        var values = new float[frames];
        for (int c = 1; c <= 2; c++)
            for (int i = c * area; i < (c + 1) * area; i++)
            {
                for (int t = 0; t < frames; t++) values[t] = labIn[t].Data[i];
                Array.Sort(values);
                double median = (values[(frames - 1) / 2] + values[frames / 2]) / 2;
                cast[c - 1] += (labOut.Average(f => f.Data[i]) - median) / area;
            }
        Console.WriteLine($"chroma mode: mean a, b minus the processed frames' median {cast[0]:F2}, {cast[1]:F2}");
        Assert.All(cast, d => Assert.True(Math.Abs(d) < 1.5, $"a colour cast of {d:F2} units of a or b"));
    }

    [Fact]
    public void CoarseToFineWithIrtKeepsEveryFrameAtItsSize()
    {
        using var input = new FrameStore(1 << 30);
        using var processed = new FrameStore(1 << 30);
        var rng = new Random(2);
        for (int t = 0; t < 3; t++)
        {
            var x = new Tensor(new Shape(1, 1, 40, 50));
            for (int i = 0; i < x.Length; i++) x.Data[i] = (float)rng.NextDouble();
            input.Add(x);
            var p = new Tensor(new Shape(1, 3, 40, 50));
            for (int i = 0; i < p.Length; i++) p.Data[i] = x.Data[i % x.Length] * 0.9f;
            processed.Add(p);
        }
        var seen = new List<int>();
        var options = new StabilizeOptions { Epochs = 7, Irt = true, CoarseToFine = true, Width = 4 };
        StabilizeStage.Run(input, processed, options, FastBackend.Instance, (t, f) =>
        {
            seen.Add(t);
            Assert.Equal(new Shape(1, 3, 40, 50), f.Shape);
            Assert.All(f.Data, v => Assert.InRange(v, 0f, 1f));
        });
        Assert.Equal(new[] { 0, 1, 2 }, seen);
    }

    [Fact]
    public void SinksLeaveNothingWhenNotCompleted()
    {
        var dir = TestPaths.NewTempDir();
        var frame = new Tensor(new Shape(1, 3, 16, 16));
        using (var video = new VideoSink(Path.Combine(dir, "out.mp4"), "1/25", null))
        {
            video.Write(frame, 0);
            video.Write(frame, 40_000_000);
        }
        using (var folder = new FolderSink(Path.Combine(dir, "frames"), new[] { "a.png", "b.png" }))
            folder.Write(frame, 0);
        Assert.Empty(Directory.GetFileSystemEntries(dir));

        using (var folder = new FolderSink(Path.Combine(dir, "frames"), new[] { "a.png" }))
        {
            folder.Write(frame, 0);
            folder.Complete();
        }
        Assert.Equal(new[] { "a.png" }, Directory.GetFiles(Path.Combine(dir, "frames")).Select(Path.GetFileName));
    }

    [Fact]
    public void ShotDetectorCutsWhereTheSceneChanges()
    {
        using var store = new FrameStore(1 << 30);
        var dark = new Tensor(new Shape(1, 3, 20, 30));
        var bright = new Tensor(new Shape(1, 3, 20, 30));
        for (int i = 0; i < bright.Length; i++)
        {
            dark.Data[i] = 0.1f + 0.01f * (i % 7);
            bright.Data[i] = 0.8f - 0.01f * (i % 5);
        }
        foreach (var f in new[] { dark, dark, dark, bright, bright }) store.Add(f.Clone());
        Assert.Equal(new[] { (0, 3), (3, 5) }, ShotSplitter.Shots(store));
    }

    [Fact]
    public void ReflectPaddingMirrorsWithoutRepeatingTheEdge()
    {
        var x = new Tensor(new Shape(1, 1, 1, 3), new[] { 1f, 2f, 3f });
        var y = ReferenceBackend.Instance.Execute(new PadReflectOp(8), x);
        Assert.Equal(new Shape(1, 1, 8, 8), y.Shape);
        Assert.Equal(new[] { 1f, 2f, 3f, 2f, 1f, 2f, 3f, 2f }, y.Data[..8]);
        Assert.Equal(y.Data[..8], y.Data[8..16]);
    }

    [Fact]
    public void FrameStoreSpillsToDiskPastItsBudgetAndCleansUp()
    {
        string? dir;
        var frames = Enumerable.Range(0, 5).Select(i => new Tensor(new Shape(1, 3, 4, 4), Enumerable.Repeat((float)i, 48).ToArray())).ToList();
        using (var store = new FrameStore(2 * 48 * 4))
        {
            frames.ForEach(store.Add);
            Assert.True(store.Spilled);
            for (int i = 0; i < 5; i++) Assert.Equal(frames[i].Data, store[i].Data);
            dir = Directory.GetDirectories(Path.GetTempPath(), "reel-frames-*").FirstOrDefault(d => Directory.GetFiles(d).Length == 3);
            Assert.NotNull(dir);
        }
        Assert.False(Directory.Exists(dir));
    }
}
