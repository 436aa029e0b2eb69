namespace Reel.Engine.Tensors;

/// <summary>
/// Memory recycled across the repetitions of one piece of work with the same shapes (a training
/// step): while a scope is open on the calling thread, the tensors its backend allocates there are
/// lent, and closing the scope takes them all back for the next repetition. Tensors made inside a
/// scope must not be used after it closes. Disposing the workspace frees what it keeps.
/// </summary>
public interface IWorkspace : IDisposable
{
    /// <summary>Opens a scope on this thread; disposing the result closes it.</summary>
    IDisposable Open();
}
