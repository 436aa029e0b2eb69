namespace Reel.Engine.Pipeline;

/// <summary>
/// Whether an interlaced video's two fields are joined into whole frames (ffmpeg's bwdif, one frame
/// out per frame in, timestamps kept) before anything is restored: DnCNN, the colorizer and the
/// prior see a field pair as one picture and keep its combing otherwise.
/// </summary>
public enum Deinterlace
{
    /// <summary>When the stream says it is interlaced: the frames flagged interlaced (a film's progressive frames in an interlaced stream stay whole).</summary>
    Auto,
    /// <summary>Every frame of a video, flagged or not (streams that carry no per-frame flags).</summary>
    All,
    /// <summary>Frames as decoded, combing included.</summary>
    Off,
}
