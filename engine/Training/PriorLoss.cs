using Reel.Engine.Tensors;

namespace Reel.Engine.Training;

/// <summary>Which loss a training step uses (specs/models.md §3).</summary>
public enum PriorLossKind
{
    /// <summary>mean |O − P| on a 3-output net (no IRT).</summary>
    L1,
    /// <summary>IRT initialization: mean |O_main − P| + 0.9 · mean |O_minor − P|.</summary>
    IrtInit,
    /// <summary>IRT: a per-pixel confidence map picks which head each pixel trains.</summary>
    Irt,
}

/// <summary>
/// The training losses and their gradients, fused in one pass per pixel. Means run over the
/// valid (unpadded) region only, over all 3 channels: the reflect padding is not data.
/// </summary>
public static class PriorLoss
{
    public const float IrtInitMinorWeight = 0.9f;
    public const float IrtInputOffset = 0.1f;

    /// <summary>
    /// Loss for output <paramref name="o"/> (1, 3|6, H, W) against processed frame <paramref name="p"/>
    /// (1, 3, H, W) and input frame <paramref name="input"/>; writes ∂L/∂o into <paramref name="grad"/>.
    /// </summary>
    public static double Compute(PriorLossKind kind, Tensor o, Tensor input, Tensor p, Tensor grad, int validH, int validW)
    {
        var s = o.Shape;
        int plane = s.H * s.W;
        bool twoHeads = kind != PriorLossKind.L1;
        if (twoHeads != (s.C == 6) || (!twoHeads && s.C != 3))
            throw new ArgumentException($"{kind} needs a {(twoHeads ? 6 : 3)}-output net, got {s}");
        Array.Clear(grad.Data, 0, grad.Length);
        double count = 3.0 * validH * validW;
        float unit = (float)(1 / count);
        double main = 0, minor = 0;
        for (int y = 0; y < validH; y++)
        for (int x = 0; x < validW; x++)
        {
            int i = y * s.W + x;
            bool mainWins = true;
            if (kind == PriorLossKind.Irt)
            {
                double dMain = 0, dMinor = 0;
                for (int c = 0; c < 3; c++)
                {
                    double scale = input.Data[c * plane + i] + IrtInputOffset;
                    dMain = Math.Max(dMain, Math.Abs(o.Data[c * plane + i] - p.Data[c * plane + i]) / scale);
                    dMinor = Math.Max(dMinor, Math.Abs(o.Data[(c + 3) * plane + i] - p.Data[c * plane + i]) / scale);
                }
                mainWins = dMain < dMinor;
            }
            for (int c = 0; c < 3; c++)
            {
                int k = c * plane + i;
                float target = p.Data[k];
                float dm = o.Data[k] - target;
                if (kind != PriorLossKind.Irt || mainWins)
                {
                    main += Math.Abs(dm);
                    grad.Data[k] = Math.Sign(dm) * unit;
                }
                if (!twoHeads) continue;
                float dn = o.Data[k + 3 * plane] - target;
                if (kind == PriorLossKind.IrtInit)
                {
                    minor += Math.Abs(dn);
                    grad.Data[k + 3 * plane] = Math.Sign(dn) * unit * IrtInitMinorWeight;
                }
                else if (!mainWins)
                {
                    minor += Math.Abs(dn);
                    grad.Data[k + 3 * plane] = Math.Sign(dn) * unit;
                }
            }
        }
        return kind == PriorLossKind.IrtInit ? (main + IrtInitMinorWeight * minor) / count : (main + minor) / count;
    }
}
