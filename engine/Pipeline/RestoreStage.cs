namespace Reel.Engine.Pipeline;

/// <summary>The stage names a run reports, as they appear in progress lines, JSON and the C ABI.</summary>
public static class RestoreStage
{
    /// <summary>Decoding the film once to cut its shots for a plan (`reel restore plan`).</summary>
    public const string Plan = "plan";
    /// <summary>Decode, denoise and colorize, one frame at a time.</summary>
    public const string Process = "process";
    /// <summary>The Deep Video Prior's training; done counts frames whose every epoch has run.</summary>
    public const string Stabilize = "stabilize";
    /// <summary>Finished frames written (after the prior's inference when it runs).</summary>
    public const string Encode = "encode";
    /// <summary>A shot's piece committed to the work folder (resumable from here).</summary>
    public const string Saved = "saved";
    /// <summary>The pieces joined into the output.</summary>
    public const string Join = "join";
    /// <summary>Frames kept from an interrupted run.</summary>
    public const string Resume = "resume";
    /// <summary>Something the user should know; the text is the detail.</summary>
    public const string Note = "note";
    /// <summary>Something the input lost on decoding (frames, its size, its length), with counts; the text is the detail.</summary>
    public const string Warning = "warning";
}
