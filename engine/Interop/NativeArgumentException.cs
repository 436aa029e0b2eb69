namespace Reel.Engine.Interop;

/// <summary>A bad argument at the C boundary (NULL pointer, unknown handle, frame that does not fit): REEL_E_INVALID_ARG.</summary>
internal sealed class NativeArgumentException(string message) : Exception(message);
