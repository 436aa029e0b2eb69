using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using Reel.Engine.Training;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// The prior's loss (<see cref="PriorLossOp"/>) or its gradient (<see cref="PriorLossBackwardOp"/>)
/// in one pass over the valid pixels: which head trains a pixel decided once per pixel, the
/// |d| sums in double.
/// </summary>
internal sealed class FastPriorLoss : IPreparedOp
{
    private readonly Op _op;
    private readonly PriorLossKind _kind;
    private readonly int _validH, _validW;
    private readonly bool _gradient;

    public FastPriorLoss(PriorLossOp op) => (_op, _kind, _validH, _validW, _gradient) = (op, op.Kind, op.ValidH, op.ValidW, false);

    public FastPriorLoss(PriorLossBackwardOp op) => (_op, _kind, _validH, _validW, _gradient) = (op, op.Kind, op.ValidH, op.ValidW, true);

    public Op Op => _op;
    public bool WritesWholeOutput => true;

    public void RunInto(Tensor y, params Tensor[] activations)
    {
        BackendExtensions.CheckOutput(_op, y, activations);
        var (o, input, p) = (activations[0], activations[1], activations[2]);
        var grad = _gradient ? y : null;
        if (grad is not null) Array.Clear(grad.Data, 0, grad.Length);
        var s = o.Shape;
        int plane = s.H * s.W;
        bool twoHeads = _kind != PriorLossKind.L1;
        double count = 3.0 * _validH * _validW;
        float unit = (float)(1 / count);
        double main = 0, minor = 0;
        for (int row = 0; row < _validH; row++)
        for (int col = 0; col < _validW; col++)
        {
            int i = row * s.W + col;
            bool mainWins = true;
            if (_kind == PriorLossKind.Irt)
            {
                double dMain = 0, dMinor = 0;
                for (int c = 0; c < 3; c++)
                {
                    double scale = input.Data[c * plane + i] + PriorLoss.IrtInputOffset;
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
                if (_kind != PriorLossKind.Irt || mainWins)
                {
                    main += Math.Abs(dm);
                    if (grad is not null) grad.Data[k] = Math.Sign(dm) * unit;
                }
                if (!twoHeads) continue;
                float dn = o.Data[k + 3 * plane] - target;
                if (_kind == PriorLossKind.IrtInit)
                {
                    minor += Math.Abs(dn);
                    if (grad is not null) grad.Data[k + 3 * plane] = Math.Sign(dn) * unit * PriorLoss.IrtInitMinorWeight;
                }
                else if (!mainWins)
                {
                    minor += Math.Abs(dn);
                    if (grad is not null) grad.Data[k + 3 * plane] = Math.Sign(dn) * unit;
                }
            }
        }
        if (grad is null)
            y.Data[0] = (float)(_kind == PriorLossKind.IrtInit ? (main + PriorLoss.IrtInitMinorWeight * minor) / count : (main + minor) / count);
    }
}
