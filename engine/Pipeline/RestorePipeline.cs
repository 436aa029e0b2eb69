using System.Diagnostics;
using Reel.Engine.Backends;
using Reel.Engine.Models;
using Reel.Engine.Tensors;
using Reel.Engine.Video;

namespace Reel.Engine.Pipeline;

/// <summary>Which stages run and how.</summary>
public sealed record RestoreOptions
{
    public DnCnn? Denoiser { get; init; }
    public Colorizer? Colorizer { get; init; }
    public float Temperature { get; init; } = ColorizeStage.DefaultTemperature;
    public bool Stabilize { get; init; } = true;
    /// <summary>Chroma mode by default: it left less flicker than RGB mode at a third of the time (README).</summary>
    public StabilizeOptions Prior { get; init; } = new() { Mode = StabilizeMode.Chroma };
}

/// <summary>Where a restore is: the stage, frames done of the total, and the stage's own detail.</summary>
public sealed record RestoreProgress(string Stage, long Done, long Total, string Detail, TimeSpan Elapsed);

/// <summary>
/// The main job: decode → DnCNN → colorizer → Deep Video Prior per shot → encode, audio copied.
/// Frames stream through decode, denoise and colorize one at a time; the prior needs a shot's
/// frames, which wait in <see cref="FrameStore"/>s (memory up to the budget, then disk), so memory
/// does not grow with the length of the film. The output appears only when everything succeeded.
/// </summary>
public static class RestorePipeline
{
    public static void Run(string input, string output, RestoreOptions options, IBackend backend,
        Action<RestoreProgress>? progress = null, CancellationToken cancel = default)
    {
        var info = VideoFile.Probe(input);
        var clock = Stopwatch.StartNew();
        bool gray = options.Denoiser is null || options.Denoiser.Channels == 1;
        var colorize = options.Colorizer is null ? null : new ColorizeStage(options.Colorizer, backend);
        long total = info.FrameCount ?? 0;
        using var sink = new VideoSink(output, info.FrameRate, info.HasAudio ? input : null);

        Tensor Process(byte[] px, out Tensor restoredInput)
        {
            var frame = ImageIO.ToTensor(px, info.Width, info.Height, gray ? PixelFormat.Gray8 : PixelFormat.Rgb24);
            if (options.Denoiser is not null)
            {
                frame = options.Denoiser.Forward(frame);
                FrameOps.Clamp01(frame);
            }
            restoredInput = FrameOps.ToRgb(frame);
            return colorize is null ? restoredInput : colorize.Colorize(restoredInput, options.Temperature);
        }

        long done = 0;
        var frames = VideoFile.ReadFrames(input, info, gray ? PixelFormat.Gray8 : PixelFormat.Rgb24);
        if (!options.Stabilize)
        {
            foreach (var px in frames)
            {
                cancel.ThrowIfCancellationRequested();
                sink.Write(Process(px, out _));
                progress?.Invoke(new RestoreProgress("denoise+colorize", ++done, total, "", clock.Elapsed));
            }
            sink.Complete();
            return;
        }

        long half = options.Prior.MemoryBudgetBytes / 2;
        using var inputs = new FrameStore(half);
        using var processed = new FrameStore(half);
        foreach (var px in frames)
        {
            cancel.ThrowIfCancellationRequested();
            processed.Add(Process(px, out var restoredInput));
            inputs.Add(restoredInput);
            progress?.Invoke(new RestoreProgress("denoise+colorize", ++done, total, "", clock.Elapsed));
        }
        total = done;
        StabilizeStage.Run(inputs, processed, options.Prior, backend, (t, f) =>
            {
                sink.Write(f);
                progress?.Invoke(new RestoreProgress("encode", t + 1, total, "", clock.Elapsed));
            },
            p => progress?.Invoke(new RestoreProgress("stabilize", (long)(p.Fraction * total), total,
                $"shot {p.Shot}/{p.Shots} epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F4}", clock.Elapsed)),
            cancel);
        sink.Complete();
    }
}
