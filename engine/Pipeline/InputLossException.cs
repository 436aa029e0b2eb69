namespace Reel.Engine.Pipeline;

/// <summary>
/// A loss in the input (frames that did not decode, a size change, another duration, a gap in a folder's
/// numbering) that <c>--strict</c> makes an error. Found again by every strict run of the same input, so
/// its advice is never a strict <c>--resume</c>.
/// </summary>
public sealed class InputLossException : ReelException
{
    /// <summary>The loss, with what --strict made of it.</summary>
    public InputLossException(string message) : base(message) { }
}
