using Reel.Engine.Tensors;

namespace Reel.Engine.Backends;

/// <summary>Repeated work on a backend that has nothing to record: the body runs each time.</summary>
internal sealed class EagerWork(Func<Tensor[], Tensor[]> body) : IRepeatedWork
{
    public Tensor[] Run(params Tensor[] inputs) => body(inputs);

    public void Dispose()
    {
    }
}
