using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Models;
using Reel.Engine.Pipeline;
using Reel.Engine.Tensors;
using Reel.Tests.Cuda;
using Reel.Tests.Support;

namespace Reel.Tests.Training;

/// <summary>
/// A shot's prior training saved as it goes (<see cref="TrainingSaves"/>): a run stopped at any step goes on from the
/// saved one and makes the frames of a run never stopped, bit for bit; a saved training that is not the shot's is said
/// and the shot trains from its start, and a save that fails is said and the training goes on.
/// </summary>
public class SavedTrainingTests
{
    private const int Frames = 4;

    [Theory]
    // In the warm epoch, at its end (the shot's own optimizer then starts afresh), in the shot's own epochs, and after the
    // last step, before the frames were made; chroma mode's coded frames and chroma match are made again on the resume; with
    // IRT and coarse to fine, in an epoch that fits the first frame alone at half size and in the last, at full size. Saved
    // after every step, or only by the stop itself (a stop after the last step saves as the frames are being made).
    [InlineData(StabilizeMode.Rgb, false, 2, true)]
    [InlineData(StabilizeMode.Rgb, false, 4, false)]
    [InlineData(StabilizeMode.Rgb, false, 11, true)]
    [InlineData(StabilizeMode.Rgb, false, 16, false)]
    [InlineData(StabilizeMode.Rgb, false, 16, true)]
    [InlineData(StabilizeMode.Chroma, false, 9, false)]
    [InlineData(StabilizeMode.Rgb, true, 7, true)]
    [InlineData(StabilizeMode.Rgb, true, 22, false)]
    public void AStoppedShotGoesOnFromItsSavedStepToTheSameFrames(StabilizeMode mode, bool irt, int stopAfter, bool everyStep)
    {
        var options = irt ? IrtOptions() : Options(mode);
        int epochs = options.Epochs, steps = Frames * epochs;
        var heard = new List<StabilizeProgress>();
        var uninterrupted = Stabilize(FastBackend.Instance, options, null, heard.Add);
        var path = Path.Combine(TestPaths.NewTempDir(), "training.safetensors");
        var notes = new List<string>();
        Stop(FastBackend.Instance, options, path, stopAfter, everyStep ? TimeSpan.Zero : TimeSpan.MaxValue);
        Assert.True(File.Exists(path), $"nothing saved after {stopAfter} steps");
        // The weights are saved under the prior's own names: the file loads as a prior.
        using (var saved = VideoPrior.Load(path)) Assert.Equal(options.Width, saved.Width);

        var resumedHeard = new List<StabilizeProgress>();
        var resumed = Stabilize(FastBackend.Instance, options, new TrainingSaves(path, TimeSpan.Zero, "the shot", notes.Add), resumedHeard.Add);
        Assert.Equal(stopAfter == steps
            ? "the shot: its prior was trained by the interrupted run; its frames are made again from the saved training"
            : $"the shot: its prior's training goes on from the interrupted run's, {stopAfter} of {steps} steps done " +
              $"(epoch {(stopAfter - 1) / Frames + 1} of {epochs}, frame {(stopAfter - 1) % Frames + 1} of {Frames})", Assert.Single(notes));
        AssertSameFrames(uninterrupted, resumed);
        // The steps taken up are counted once, on the first report, and the shot ends on the uninterrupted run's loss (once,
        // with no step of its own, when it was all trained).
        Assert.Equal((double)stopAfter / epochs, resumedHeard[0].KeptFrames);
        Assert.All(resumedHeard.Skip(1), p => Assert.Equal(0, p.KeptFrames));
        Assert.Equal(stopAfter == steps ? 1 : steps - stopAfter, resumedHeard.Count);
        Assert.Equal((heard[^1].Loss, heard[^1].Fraction), (resumedHeard[^1].Loss, resumedHeard[^1].Fraction));
    }

    [Fact]
    public void ASavedTrainingThatIsNotTheShotsOrCannotBeWrittenIsSaidAndTheShotTrainsOn()
    {
        var options = Options(StabilizeMode.Rgb);
        var uninterrupted = Stabilize(FastBackend.Instance, options, null);
        var dir = TestPaths.NewTempDir();
        var notes = new List<string>();

        // Another seed's training, then one cut short (a disk that filled, a copy that stopped).
        var other = Path.Combine(dir, "other.safetensors");
        Stop(FastBackend.Instance, options with { Seed = 4 }, other, 6);
        var cut = Path.Combine(dir, "cut.safetensors");
        Stop(FastBackend.Instance, options, cut, 6);
        File.WriteAllBytes(cut, File.ReadAllBytes(cut)[..1000]);
        // And one whose bytes changed where they still read as numbers: the lowest bit of a float near its end.
        var flipped = Path.Combine(dir, "flipped.safetensors");
        Stop(FastBackend.Instance, options, flipped, 6);
        var bytes = File.ReadAllBytes(flipped);
        bytes[bytes.Length - 64] ^= 1;
        File.WriteAllBytes(flipped, bytes);
        foreach (var path in new[] { other, cut, flipped })
        {
            notes.Clear();
            AssertSameFrames(uninterrupted, Stabilize(FastBackend.Instance, options, new TrainingSaves(path, TimeSpan.Zero, "the shot", notes.Add)));
            Assert.StartsWith($"the shot: the training saved in {path} is not taken up (", notes[0]);
            Assert.EndsWith("); its prior trains from the start", notes[0]);
            Assert.Contains(path == other ? "it is the training of the shot, 4 frames of 32×24, seed 4,"
                : path == cut ? "invalid safetensors file" : "its values are not those it was saved with", notes[0]);
            Assert.Single(notes);
        }

        // A save that cannot be written (its folder gone) is said once, and the training goes on unharmed.
        notes.Clear();
        var nowhere = Path.Combine(dir, "gone", "training.safetensors");
        AssertSameFrames(uninterrupted, Stabilize(FastBackend.Instance, options, new TrainingSaves(nowhere, TimeSpan.Zero, "the shot", notes.Add)));
        Assert.Equal($"the shot: its training could not be saved (output folder does not exist: {Path.GetDirectoryName(nowhere)}); " +
                     "it goes on, and a stop would lose the steps since the last save", Assert.Single(notes));
    }

    /// <summary>
    /// A saved training whose record disagrees with itself or with the shot (its steps past the shot's, an optimizer count
    /// that its steps cannot give, an unknown optimizer, a loss that is not a number, another format) is not taken up, each
    /// said with its reason, and the shot trains from its start into the frames of a run never stopped. The checksum covers
    /// the values only, so these are the record's own checks.
    /// </summary>
    [Theory]
    [InlineData("steps_done", "17", "it counts 17 steps of 16")]
    [InlineData("optimizer_steps", "3", "its shot optimizer counts 3 steps after 6 of the shot's, 4 of them warm")]
    [InlineData("optimizer", "warm", "its warm optimizer counts 2 steps after 6 of the shot's, 4 of them warm")]
    [InlineData("optimizer", "none", "its none optimizer counts 2 steps after 6 of the shot's, 4 of them warm")]
    [InlineData("optimizer", "adam", "its optimizer is adam")]
    [InlineData("loss", "NaN", "its last loss is NaN")]
    [InlineData("format", "reel-training-0", "not a saved training this version of reel reads")]
    public void ASavedTrainingWhoseRecordDisagreesIsNotTakenUp(string key, string value, string why)
    {
        var options = Options(StabilizeMode.Rgb);
        var path = Path.Combine(TestPaths.NewTempDir(), "training.safetensors");
        Stop(FastBackend.Instance, options, path, 6);
        var saved = Reel.Engine.Checkpoints.Safetensors.Read(path);
        Assert.Equal(("6", "2", "shot"), (saved.Metadata["steps_done"], saved.Metadata["optimizer_steps"], saved.Metadata["optimizer"]));
        var metadata = new Dictionary<string, string>(saved.Metadata) { [key] = value };
        Reel.Engine.Checkpoints.Safetensors.Write(path, saved.Names.Select(n => (n, saved.Get(n))).ToList(), metadata);

        var notes = new List<string>();
        AssertSameFrames(Stabilize(FastBackend.Instance, options, null), Stabilize(FastBackend.Instance, options, new TrainingSaves(path, TimeSpan.FromHours(1), "the shot", notes.Add)));
        Assert.Equal($"the shot: the training saved in {path} is not taken up ({why}); its prior trains from the start", Assert.Single(notes));
    }

    /// <summary>
    /// On the emulated GPU a saved training is taken up before the first step is captured into a graph (the graph keeps
    /// the optimizer's moments it was recorded with): the resumed frames are the uninterrupted run's, and nothing stays
    /// allocated on the device.
    /// </summary>
    [Fact]
    public void OnTheDeviceTheSavedTrainingIsTakenUpBeforeTheStepIsRecorded()
    {
        var options = Options(StabilizeMode.Rgb);
        using var device = EmulatedGpu.OpenPrivate();
        var path = Path.Combine(TestPaths.NewTempDir(), "training.safetensors");
        List<Tensor> uninterrupted, resumed;
        using (var gpu = EmulatedGpu.Backend(device))
        {
            uninterrupted = Stabilize(gpu, options, null);
            Stop(gpu, options, path, 10);
            resumed = Stabilize(gpu, options, new TrainingSaves(path, TimeSpan.Zero, "the shot", _ => { }));
        }
        AssertSameFrames(uninterrupted, resumed);
        Assert.Equal(0, device.LiveAllocations);
    }

    /// <summary>One warm epoch then the shot's own three, on a width the tests train in moments.</summary>
    private static StabilizeOptions Options(StabilizeMode mode) =>
        StabilizeOptions.For(mode, 4, irt: false) with { WarmEpochs = 1, Width = 4, SplitShots = false, Seed = 3, ChromaScale = 2 };

    /// <summary>IRT's five epochs on the first frame, then one over all, the first 4/5 of them on frames decimated 2×.</summary>
    private static StabilizeOptions IrtOptions() =>
        StabilizeOptions.For(StabilizeMode.Rgb, 6, irt: true) with { CoarseToFine = true, Width = 4, SplitShots = false, Seed = 3 };

    /// <summary>Trains with a save every <paramref name="every"/> (after every step by default) into <paramref name="path"/> and stops after step <paramref name="stopAfter"/>.</summary>
    private static void Stop(IBackend backend, StabilizeOptions options, string path, int stopAfter, TimeSpan every = default)
    {
        using var stop = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => Stabilize(backend, options, new TrainingSaves(path, every, "the shot", _ => { }),
            p =>
            {
                if (Math.Round(p.Fraction * Frames * options.Epochs) >= stopAfter) stop.Cancel();
            }, stop.Token));
    }

    private static List<Tensor> Stabilize(IBackend backend, StabilizeOptions options, TrainingSaves? saves,
        Action<StabilizeProgress>? progress = null, CancellationToken cancel = default)
    {
        using var input = new FrameStore(1 << 30);
        using var processed = new FrameStore(1 << 30);
        for (int t = 0; t < Frames; t++)
        {
            var (i, p) = DeviceTrainingTests.Frames(24, 32, seed: 20 + t);
            input.Add(i);
            processed.Add(p);
        }
        var frames = new List<Tensor>();
        StabilizeStage.Run(input, processed, options, backend, (_, f) => frames.Add(f.Clone()), progress, cancel,
            saves: saves is null ? null : (_, _, _) => saves);
        return frames;
    }

    private static void AssertSameFrames(List<Tensor> expected, List<Tensor> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int t = 0; t < expected.Count; t++)
            Assert.True(expected[t].Span.SequenceEqual(actual[t].Span), $"frame {t} differs from the uninterrupted run's");
    }
}
