namespace Reel.Engine.Interop;

/// <summary>Something the caller asked for that this build does not have (a backend): REEL_E_UNSUPPORTED.</summary>
internal sealed class NativeUnsupportedException(string message) : Exception(message);
