using Reel.Engine.Backends;
using Reel.Engine.Checkpoints;
using Reel.Engine.Models;
using Reel.Engine.Tensors;
using Reel.Tests.Cuda;

namespace Reel.Tests.Support;

/// <summary>Networks with random weights in the published layouts, small enough for the emulated device.</summary>
public static class SmallNets
{
    /// <summary>A KAIR-layout DnCNN of <paramref name="layers"/> convolutions, <paramref name="width"/> features wide, with random weights.</summary>
    public static DnCnn DnCnn(int layers, int width, int channels, IBackend backend, int seed)
    {
        var rng = new Random(seed);
        var map = new WeightMap("random DnCNN");
        for (int k = 0; k < layers; k++)
        {
            int cin = k == 0 ? channels : width, cout = k == layers - 1 ? channels : width;
            float scale = 1f / MathF.Sqrt(cin * 9);
            map.Add($"model.{2 * k}.weight", new Tensor(new Shape(cout, cin, 3, 3), EmulatedGpu.RandomFloats(rng, cout * cin * 9, -scale, scale)));
            map.Add($"model.{2 * k}.bias", new Tensor(new Shape(cout), EmulatedGpu.RandomFloats(rng, cout, -0.1f, 0.1f)));
        }
        return Engine.Models.DnCnn.FromWeights(map, backend);
    }
}
