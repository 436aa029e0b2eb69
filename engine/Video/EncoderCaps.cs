using System.Collections.Concurrent;
using System.Text;

namespace Reel.Engine.Video;

/// <summary>
/// What an ffmpeg video encoder takes, as this ffmpeg says (<c>ffmpeg -h encoder=NAME</c>): its pixel formats, and
/// the frame rates of those that take only some (MPEG-1 and MPEG-2: 24000/1001, 25, 30000/1001, …). Asked once
/// an encoder per process.
/// </summary>
public sealed record EncoderCaps(IReadOnlyList<string> PixelFormats, IReadOnlyList<string> FrameRates)
{
    private static readonly ConcurrentDictionary<string, EncoderCaps> Known = new();

    /// <summary>The encoder's capabilities; none listed for one this ffmpeg does not know (its failure is the encode's to report).</summary>
    public static EncoderCaps Of(string encoder) => Known.GetOrAdd(encoder, name =>
    {
        var help = Encoding.UTF8.GetString(Ffmpeg.Run(Ffmpeg.FfmpegPath, ["-hide_banner", "-h", $"encoder={name}"], ReadOnlyMemory<byte>.Empty, name,
            doing: $"asking ffmpeg what {name} takes"));
        IReadOnlyList<string> Listed(string heading) => help.Split('\n').Select(l => l.Trim())
            .Where(l => l.StartsWith(heading, StringComparison.Ordinal))
            .SelectMany(l => l[heading.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        return new EncoderCaps(Listed("Supported pixel formats:"), Listed("Supported framerates:"));
    });
}
