namespace Reel.Engine.Backends.Cuda;

/// <summary>The outcome of compiling one kernel file for one architecture.</summary>
internal sealed record CompileResult(string File, int Arch, bool Compiled, string Ptx, string Log);
