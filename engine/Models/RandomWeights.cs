using Reel.Engine.Checkpoints;
using Reel.Engine.Tensors;

namespace Reel.Engine.Models;

/// <summary>
/// Random weights in the official checkpoints' key layouts (He-normal convolutions, zero biases,
/// neutral BatchNorm), for benchmarks and device checks where no checkpoint is at hand (the
/// ECCV16 weights are not reachable from the development machines).
/// </summary>
public static class RandomWeights
{
    /// <summary>DnCNN-B gray in the KAIR layout: 20 convs 1→64→…→64→1, He-normal weights, zero bias.</summary>
    public static WeightMap DnCnnB(Random rng)
    {
        var w = new WeightMap("random DnCNN-B");
        for (int i = 0; i < 20; i++)
        {
            int cin = i == 0 ? 1 : 64, cout = i == 19 ? 1 : 64;
            w.Add($"model.{2 * i}.weight", He(rng, new Shape(cout, cin, 3, 3)));
            w.Add($"model.{2 * i}.bias", new Tensor(new Shape(cout)));
        }
        return w;
    }

    /// <summary>ECCV16 in the official port's key layout: He-normal convs, neutral BatchNorm, random projection.</summary>
    public static WeightMap Eccv16(Random rng)
    {
        var w = new WeightMap("random ECCV16");
        void Conv(string key, int cin, int cout, int k)
        {
            w.Add(key + ".weight", He(rng, new Shape(cout, cin, k, k)));
            w.Add(key + ".bias", new Tensor(new Shape(cout)));
        }
        void Bn(string key, int c)
        {
            var one = new Tensor(new Shape(c));
            Array.Fill(one.Data, 1f);
            w.Add(key + ".weight", one);
            w.Add(key + ".bias", new Tensor(new Shape(c)));
            w.Add(key + ".running_mean", new Tensor(new Shape(c)));
            w.Add(key + ".running_var", one);
        }
        var blocks = new[] { (1, 2, 1, 64), (2, 2, 64, 128), (3, 3, 128, 256), (4, 3, 256, 512), (5, 3, 512, 512), (6, 3, 512, 512), (7, 3, 512, 512) };
        foreach (var (block, convs, cin, width) in blocks)
        {
            for (int i = 0; i < convs; i++) Conv($"model{block}.{2 * i}", i == 0 ? cin : width, width, 3);
            Bn($"model{block}.{2 * convs}", width);
        }
        w.Add("model8.0.weight", He(rng, new Shape(512, 256, 4, 4), fanIn: 512 * 4));
        w.Add("model8.0.bias", new Tensor(new Shape(256)));
        Conv("model8.2", 256, 256, 3);
        Conv("model8.4", 256, 256, 3);
        Conv("model8.6", 256, Colorizer.Bins, 1);
        w.Add("model_out.weight", He(rng, new Shape(2, Colorizer.Bins, 1, 1)));
        return w;
    }

    private static Tensor He(Random rng, Shape s, int fanIn = 0)
    {
        if (fanIn == 0) fanIn = s[1] * s[2] * s[3];
        double std = Math.Sqrt(2.0 / fanIn);
        var t = new Tensor(s);
        for (int i = 0; i < t.Length; i++)
        {
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            t.Data[i] = (float)(std * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return t;
    }
}
