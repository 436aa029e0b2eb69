using Reel.Engine.Pipeline;

namespace Reel.Tests.Pipeline;

/// <summary>
/// <see cref="ProgressMeter"/> on scripted events with known times: rates are each stage's own
/// even when stages interleave, the ETA counts the prior's epochs, and resumed frames are not
/// counted as this run's work.
/// </summary>
public class ProgressMeterTests
{
    /// <summary>Feeds events at the given times and keeps what the meter made of them.</summary>
    private sealed class Script(ProgressMeter meter, long total)
    {
        public TimeSpan Now;
        public List<RestoreProgress> Seen { get; } = new();

        public RestoreProgress Step(string stage, double seconds, double done, int? epoch = null, double kept = 0)
        {
            Now += TimeSpan.FromSeconds(seconds);
            var p = meter.Measure(new RestoreProgress(stage, (long)done, total, "", Now) { Epoch = epoch, KeptFrames = kept }, done);
            Seen.Add(p);
            return p;
        }
    }

    [Fact]
    public void InterleavedStagesEachGetTheirOwnRate()
    {
        // Without the prior a frame is processed (2 s) and then encoded (0.1 s); every shot ends with a save (0.3 s).
        var s = new Script(new ProgressMeter(0, 0, RestoreStage.Process, RestoreStage.Encode), 10);
        for (int f = 1; f <= 10; f++)
        {
            var process = s.Step(RestoreStage.Process, 2, f);
            var encode = s.Step(RestoreStage.Encode, 0.1, f);
            Assert.Equal(0.5, process.Rate!.Value, 9);
            Assert.Equal(10, encode.Rate!.Value, 9);
            // Both measured from the first frame on: 2.1 s per frame left.
            Assert.Equal((10 - f) * 2.1, encode.EtaSeconds!.Value, 9);
            if (f == 5) s.Step(RestoreStage.Saved, 0.3, 5);
        }
        Assert.Null(s.Seen.Single(p => p.Stage == RestoreStage.Saved).Rate);
        Assert.Equal(0, s.Seen[^1].EtaSeconds);
    }

    [Fact]
    public void EtaIsUnknownUntilThePriorTrainsThenCountsItsEpochs()
    {
        // One shot of 4 frames, 2 epochs: 8 training steps, each 0.5 frame of the prior's work.
        var s = new Script(new ProgressMeter(0, 2, RestoreStage.Process, RestoreStage.Stabilize, RestoreStage.Encode), 4);
        for (int f = 1; f <= 4; f++)
            Assert.Null(s.Step(RestoreStage.Process, 1, f).EtaSeconds);

        // The first step carries the shot's setup (6 s); the rest take 2 s, i.e. 4 s per frame.
        var first = s.Step(RestoreStage.Stabilize, 6, 0.5, epoch: 1);
        Assert.Equal(0.5 / 6, first.Rate!.Value, 9);
        // Before steady steps exist the setup is all there is to go on: 12 s per frame, 3.5 frames left,
        // and encoding taken as a third of a step (6 s / 3) per frame until it is measured.
        Assert.Equal(3.5 * 12 + 4 * 2, first.EtaSeconds!.Value, 9);
        double? before = first.EtaSeconds;
        for (int step = 2; step <= 8; step++)
        {
            var p = s.Step(RestoreStage.Stabilize, 2, step * 0.5, epoch: step <= 4 ? 1 : 2);
            Assert.Equal(step * 0.5 / (6 + 2 * (step - 1)), p.Rate!.Value, 9);
            // From the second step on, the setup is left out: 4 s per frame, 2 s per step.
            Assert.Equal((4 - step * 0.5) * 4 + 4 * (2.0 / 3), p.EtaSeconds!.Value, 9);
            Assert.True(p.EtaSeconds < before, $"step {step}: ETA {p.EtaSeconds} after {before}");
            before = p.EtaSeconds;
        }
        for (int f = 1; f <= 4; f++)
        {
            var p = s.Step(RestoreStage.Encode, 0.25, f);
            Assert.Equal(4, p.Rate!.Value, 9);
            Assert.Equal((4 - f) * 0.25, p.EtaSeconds!.Value, 9);
        }
    }

    [Fact]
    public void FramesKeptFromAnInterruptedRunAreNotThisRunsWork()
    {
        var s = new Script(new ProgressMeter(10, 0, RestoreStage.Process, RestoreStage.Encode), 20);
        s.Step(RestoreStage.Resume, 0.5, 10);
        for (int f = 11; f <= 20; f++)
        {
            // One frame a second: the 10 kept frames are not counted, and the resume's own 0.5 s is no stage's.
            var p = s.Step(RestoreStage.Process, 1, f);
            Assert.Equal(1, p.Rate!.Value, 9);
            s.Step(RestoreStage.Encode, 1, f);
        }
        Assert.Equal(0, s.Seen[^1].EtaSeconds);
    }

    /// <summary>
    /// A shot whose saved training is taken up: its first step's event counts the steps the interrupted run took, which
    /// are not this run's work (the rate was 4× too high for the rest of the run).
    /// </summary>
    [Fact]
    public void ASavedTrainingTakenUpIsNotThisRunsWork()
    {
        // One shot of 4 frames, 2 epochs, taken up after 6 of its 8 steps (3 frames' worth); each step takes 2 s.
        var s = new Script(new ProgressMeter(0, 2, RestoreStage.Process, RestoreStage.Stabilize, RestoreStage.Encode), 4);
        for (int f = 1; f <= 4; f++) s.Step(RestoreStage.Process, 1, f);
        var first = s.Step(RestoreStage.Stabilize, 2, 3.5, epoch: 2, kept: 3);
        Assert.Equal(0.5 / 2, first.Rate!.Value, 9);
        var last = s.Step(RestoreStage.Stabilize, 2, 4, epoch: 2);
        Assert.Equal(1.0 / 4, last.Rate!.Value, 9);
        // 4 s per frame of the prior's work: encoding, taken as a third of a step per frame, is what is left.
        Assert.Equal(4 * (2.0 / 3), last.EtaSeconds!.Value, 9);
    }

    [Fact]
    public void UnknownTotalMeansUnknownEta()
    {
        var s = new Script(new ProgressMeter(0, 0, RestoreStage.Process), 0);
        var p = s.Step(RestoreStage.Process, 1, 1);
        Assert.Equal(1, p.Rate);
        Assert.Null(p.EtaSeconds);
    }
}
