using System.CommandLine;
using Reel.Engine;
using Reel.Engine.Backends;
using Reel.Engine.Checkpoints;
using Reel.Engine.Models;
using Reel.Engine.Pipeline;
using Reel.Engine.Temporal;
using Reel.Engine.Video;

namespace Reel.Cli.Commands;

/// <summary>
/// The options of `reel restore` that shape the output, shared by `reel restore IN OUT` and
/// `reel restore plan`. A plan records the ones given as arguments (checkpoints by absolute path,
/// defaults from the weights cache resolved) and every shard worker replays them through these same
/// definitions (<see cref="Replay"/>), so an option added here reaches the workers with no more code.
/// What only concerns one process (device, memory, progress) stays with each command.
/// </summary>
public sealed class RestoreJobOptions
{
    private readonly Option<string?> _denoiser = new("--denoiser") { Description = "DnCNN checkpoint (default: dncnn_gray_blind from the weights cache)" };
    private readonly Option<string?> _colorizer = new("--colorizer") { Description = "ECCV16 checkpoint (default: colorization_release_v2-9b330a0b.pth from the weights cache)" };
    private readonly PriorChoice _prior = new();
    private readonly Option<bool> _noDenoise = new("--no-denoise") { Description = "Skip DnCNN" };
    private readonly Option<bool> _noColorize = new("--no-colorize") { Description = "Skip the colorizer (output stays gray)" };
    private readonly Option<bool> _noStabilize = new("--no-stabilize") { Description = "Skip the temporal stage (as --temporal none)" };
    private readonly Option<string> _temporal = TemporalChoice.CreateOption();
    private readonly Option<bool> _fuse = new("--fuse-colors") { Description = "With --temporal flow: fuse the colorizer's 313-bin distributions along the flow before the annealed mean (mode-seeking; decoded at T = 0.38)" };
    private readonly Option<float> _temperature = ColorizeCommand.TemperatureOption();
    private readonly Option<string?> _encoder = new("--encoder") { Description = "ffmpeg video encoder (libx264, libx265, libvpx-vp9, libaom-av1, ffv1, …; default: libvpx-vp9 for .webm, else libx264)" };
    private readonly Option<int> _crf = new("--crf") { Description = "Constant quality for x264/x265/VP9/AV1 (lower is better; 17 keeps film grain)", DefaultValueFactory = _ => 17 };
    private readonly Option<string> _preset = new("--preset") { Description = "x264/x265 speed preset", DefaultValueFactory = _ => "medium" };
    private readonly Option<int> _maxShot = new("--max-shot-frames")
    {
        Description = "Longest shot one prior trains on (longer shots are split); also the most work an interruption can lose",
        DefaultValueFactory = _ => 300,
    };
    private readonly Option<string> _deinterlace = DeinterlaceChoice.CreateOption();
    private readonly Option<string?> _from = new("--from") { Description = "Restore from this time of the input on (seconds, or 1:35.5, 01:01:35.5): a scene to try settings on; the output starts at zero, its audio and subtitles cut alike" };
    private readonly Option<string?> _to = new("--to") { Description = "Restore up to this time of the input (as --from)" };
    private readonly Option<string> _fps = FolderRate.CreateOption();

    private IEnumerable<Option> All => new Option[] { _denoiser, _colorizer, _noDenoise, _noColorize, _noStabilize, _temporal, _fuse, _temperature, _encoder, _crf, _preset, _maxShot, _deinterlace, _from, _to, _fps }.Concat(_prior.All);

    /// <summary>Adds every option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var o in All) command.Options.Add(o);
    }

    /// <summary>
    /// The options as the engine takes them, networks loaded on <paramref name="backend"/> (the
    /// checkpoints not named come from the weights cache); memory, resume and strictness are the caller's.
    /// </summary>
    /// <summary>
    /// Refuses what no files could make work (exit 2): out-of-range values, switches that contradict each other, options the
    /// run would not use. Before any file is looked for: the same command line exited 1 ("input not found", a checkpoint
    /// not in the cache) or 2 depending on which files were there, and a scheduler retried what could never succeed.
    /// </summary>
    public void Validate(ParseResult r)
    {
        if (r.GetValue(_maxShot) < 1) throw new UsageException($"--max-shot-frames must be ≥ 1, got {r.GetValue(_maxShot)}");
        var method = r.GetValue(_noStabilize) ? TemporalMethod.None : TemporalChoice.Parse(r.GetValue(_temporal)!);
        if (r.GetValue(_fuse) && method != TemporalMethod.Flow) throw new UsageException("--fuse-colors works with --temporal flow");
        // Switches that contradict each other are refused rather than one of them silently ignored.
        if (r.GetValue(_noStabilize) && r.GetResult(_temporal) is { Implicit: false } && TemporalChoice.Parse(r.GetValue(_temporal)!) != TemporalMethod.None)
            throw new UsageException($"--no-stabilize turns the temporal stage off, and --temporal {r.GetValue(_temporal)} asks for it: give one of them");
        if (r.GetValue(_fuse) && r.GetValue(_noColorize))
            throw new UsageException("--fuse-colors fuses the colorizer's colour distributions, and --no-colorize leaves none: give one of them");
        if (r.GetValue(_noDenoise)) GivenOptions.RefuseUnused(r, [_denoiser], "--no-denoise turns the denoiser off");
        if (r.GetValue(_noColorize)) GivenOptions.RefuseUnused(r, [_colorizer, _temperature], "--no-colorize turns the colorizer off");
        // Without the colorizer there is no chroma to stabilize: the temporal stage works on RGB.
        var mode = r.GetValue(_noColorize) ? StabilizeMode.Rgb : StabilizeMode.Chroma;
        if (method != TemporalMethod.Prior)
            GivenOptions.RefuseUnused(r, _prior.All, method == TemporalMethod.Flow ? "--temporal flow trains no prior" : "the temporal stage is off");
        if (mode == StabilizeMode.Rgb) GivenOptions.RefuseUnused(r, _prior.ChromaOnly, "they are chroma mode's, and --no-colorize restores in rgb mode");
    }

    /// <param name="validate">
    /// False for a plan's recorded options (<see cref="Replay"/>): they were checked when it was made, and a plan made
    /// before a check was added must still run.
    /// </param>
    public RestoreOptions Build(ParseResult r, IBackend backend, bool validate = true)
    {
        if (validate) Validate(r);
        var method = r.GetValue(_noStabilize) ? TemporalMethod.None : TemporalChoice.Parse(r.GetValue(_temporal)!);
        string? denoiserPath = r.GetValue(_noDenoise) ? null : r.GetValue(_denoiser) ?? WeightCatalog.Require(WeightCatalog.Get("dncnn_gray_blind"), "--denoiser");
        string? colorizerPath = r.GetValue(_noColorize) ? null : r.GetValue(_colorizer) ?? WeightCatalog.Require(WeightCatalog.Get("colorizer"), "--colorizer");
        var mode = colorizerPath is null ? StabilizeMode.Rgb : StabilizeMode.Chroma;
        var options = Joining(r) with
        {
            MaxShotFrames = r.GetValue(_maxShot),
            Temperature = r.GetValue(_temperature),
            Stabilize = method != TemporalMethod.None,
            Temporal = method == TemporalMethod.Flow ? TemporalMethod.Flow : TemporalMethod.Prior,
            FuseColours = r.GetValue(_fuse),
            Prior = _prior.Resolve(r, mode),
            Flow = new FlowTemporalOptions { Mode = mode },
        };
        // Before the networks load, so a bad setting fails at once.
        options.ValidateTemporal();
        return options with
        {
            Denoiser = denoiserPath is null ? null : DnCnn.Load(denoiserPath, backend),
            Colorizer = colorizerPath is null ? null : Colorizer.Load(colorizerPath, backend),
        };
    }

    /// <summary>
    /// What a plan records: each option given on the command line as it was given, a checkpoint named
    /// by absolute path. A checkpoint not named is each worker's own weights cache's: the plan's settings
    /// hold its SHA-256, so a node whose cache holds other bytes is refused, and one whose cache lies
    /// elsewhere (another home) is not.
    /// </summary>
    public IReadOnlyList<string> Arguments(ParseResult r)
    {
        var args = new List<string>();
        foreach (var option in All)
        {
            if (r.GetResult(option) is not { Implicit: false } given) continue;
            args.Add(option.Name);
            args.AddRange(option == _denoiser || option == _colorizer ? given.Tokens.Select(t => Path.GetFullPath(t.Value)) : given.Tokens.Select(t => t.Value));
        }
        return args;
    }

    /// <summary>Refuses --fps for a video (<see cref="FolderRate.RefuseUnlessFolder"/>).</summary>
    public void RefuseFolderRate(ParseResult r, string input) => FolderRate.RefuseUnlessFolder(r, _fps, input);

    /// <summary>The options a plan recorded, parsed by these definitions and built on <paramref name="backend"/>.</summary>
    public static RestoreOptions Replay(IReadOnlyList<string> arguments, IBackend backend)
    {
        var (options, r) = Parse(arguments);
        return options.Build(r, backend, validate: false);
    }

    /// <summary>
    /// How the plan's options read its input (<see cref="RestoreOptions.OpenSource"/>) and encode its video, without
    /// loading its networks: the join copies the input's streams as the workers decoded it, and encodes the pieces'
    /// video again with the plan's quality where the output cannot hold them.
    /// </summary>
    public static RestoreOptions JoiningIn(IReadOnlyList<string> arguments)
    {
        var (options, r) = Parse(arguments);
        return options.Joining(r);
    }

    private static (RestoreJobOptions Options, ParseResult Result) Parse(IReadOnlyList<string> arguments)
    {
        var options = new RestoreJobOptions();
        var command = new Command("plan");
        options.AddTo(command);
        var r = command.Parse(arguments);
        if (r.Errors.Count > 0)
            throw new ReelException($"the plan's options ({string.Join(' ', arguments)}) do not parse with this reel: {string.Join("; ", r.Errors.Select(e => e.Message))}");
        return (options, r);
    }

    /// <summary>The options that say how the input is read and the video encoded; the rest at their defaults.</summary>
    private RestoreOptions Joining(ParseResult r) => new()
    {
        FolderFrameRate = r.GetValue(_fps)!,
        Deinterlace = DeinterlaceChoice.Parse(r.GetValue(_deinterlace)!),
        Range = TimeRange.Of(r.GetValue(_from), r.GetValue(_to)),
        Encode = new EncodeSettings
        {
            Codec = r.GetValue(_encoder), Crf = r.GetValue(_crf), Preset = r.GetValue(_preset)!,
            CrfGiven = r.GetResult(_crf) is { Implicit: false }, PresetGiven = r.GetResult(_preset) is { Implicit: false },
        },
    };
}
