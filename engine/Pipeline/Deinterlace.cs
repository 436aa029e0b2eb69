namespace Reel.Engine.Pipeline;

/// <summary>
/// Whether an interlaced video's two fields are joined into whole frames (ffmpeg's bwdif, one frame
/// out per frame in, timestamps kept) before anything is restored: DnCNN, the colorizer and the
/// prior see a field pair as one picture and keep its combing otherwise.
/// </summary>
public enum Deinterlace
{
    /// <summary>
    /// When the stream says it is interlaced: the frames flagged interlaced (a film's progressive frames in an
    /// interlaced stream stay whole), unless ffmpeg's idet finds the frames progressive throughout
    /// (<see cref="Reel.Engine.Video.FieldCheck"/>: a film's PAL transfer flagged interlaced), which stay whole.
    /// </summary>
    Auto,
    /// <summary>Every frame of a video, flagged or not (streams that carry no per-frame flags).</summary>
    All,
    /// <summary>Frames as decoded, combing included.</summary>
    Off,
    /// <summary>
    /// Telecined film (NTSC 3:2 pulldown, 24 frames spread over 30): the film's own frames rebuilt from
    /// their fields (fieldmatch, bwdif on what stays combed) and the repeated one of every five dropped
    /// (decimate), so 4 frames of 5 come out, at 4/5 of the rate, on the film's regular time grid.
    /// </summary>
    Ivtc,
}
