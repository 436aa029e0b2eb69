using System.Runtime.Intrinsics;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using Reel.Engine.Training;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// The prior's loss (<see cref="PriorLossOp"/>) or its gradient (<see cref="PriorLossBackwardOp"/>):
/// rows in parallel, four pixels at a time. Which head trains a pixel is decided exactly as the
/// reference does (float differences, the quotients and their maximum in double), so the gradient
/// is bit-identical to it; the loss's double sum runs by rows and lanes, so its last bits may
/// differ from the reference's pixel-order sum.
/// </summary>
internal sealed class FastPriorLoss : IPreparedOp
{
    private const int Lanes = 4;

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
        var grad = _gradient ? y.Data : null;
        // The padding rows and columns and the heads a pixel does not train get no gradient.
        if (grad is not null) Array.Clear(grad, 0, y.Length);
        var rows = new Row(_kind, o.Shape.H * o.Shape.W, o.Shape.W, _validW, 1 / (3.0 * _validH * _validW), o.Data, input.Data, p.Data, grad);
        var sums = new double[2 * _validH];
        ParallelRows.For(_validH, 40L * _validH * _validW, r => rows.Run(r, sums));
        if (grad is not null) return;
        double main = 0, minor = 0;
        for (int r = 0; r < _validH; r++) (main, minor) = (main + sums[2 * r], minor + sums[2 * r + 1]);
        y.Data[0] = (float)((_kind == PriorLossKind.IrtInit ? main + PriorLoss.IrtInitMinorWeight * minor : main + minor) / (3.0 * _validH * _validW));
    }

    /// <summary>One row's work: the two heads' |d| sums into sums[2r], sums[2r + 1], and the gradient when asked.</summary>
    private sealed class Row(PriorLossKind kind, int plane, int width, int validW, double unitD, float[] o, float[] x, float[] p, float[]? grad)
    {
        private readonly bool _twoHeads = kind != PriorLossKind.L1;
        private readonly float _unit = (float)unitD;
        // sign·unit·0.9 rounds as ±(unit·0.9): a sign change commutes with rounding.
        private readonly float _minorInitUnit = (float)unitD * PriorLoss.IrtInitMinorWeight;

        public void Run(int row, double[] sums)
        {
            int start = row * width, col = 0;
            var accMain = Vector256<double>.Zero;
            var accMinor = Vector256<double>.Zero;
            for (; col + Lanes <= validW; col += Lanes) Block(start + col, ref accMain, ref accMinor);
            double main = Vector256.Sum(accMain), minor = Vector256.Sum(accMinor);
            for (; col < validW; col++) Pixel(start + col, ref main, ref minor);
            sums[2 * row] = main;
            sums[2 * row + 1] = minor;
        }

        private void Block(int i, ref Vector256<double> accMain, ref Vector256<double> accMinor)
        {
            Span<Vector128<float>> dMain = stackalloc Vector128<float>[3];
            Span<Vector128<float>> dMinor = stackalloc Vector128<float>[3];
            for (int c = 0; c < 3; c++)
            {
                var target = Vector128.Create<float>(p.AsSpan(c * plane + i, Lanes));
                dMain[c] = Vector128.Create<float>(o.AsSpan(c * plane + i, Lanes)) - target;
                if (_twoHeads) dMinor[c] = Vector128.Create<float>(o.AsSpan((c + 3) * plane + i, Lanes)) - target;
            }
            var mainTrains = Vector128<float>.AllBitsSet;
            if (kind == PriorLossKind.Irt)
            {
                // The confidence of each head: max over channels of |d| / (input + 0.1), in double as the reference.
                var qMain = Vector256<double>.Zero;
                var qMinor = Vector256<double>.Zero;
                var offset = Vector128.Create(PriorLoss.IrtInputOffset);
                for (int c = 0; c < 3; c++)
                {
                    var scale = Widen(Vector128.Create<float>(x.AsSpan(c * plane + i, Lanes)) + offset);
                    qMain = Vector256.Max(qMain, Widen(Vector128.Abs(dMain[c])) / scale);
                    qMinor = Vector256.Max(qMinor, Widen(Vector128.Abs(dMinor[c])) / scale);
                }
                var wins = Vector256.LessThan(qMain, qMinor).AsInt64();
                mainTrains = Vector128.Narrow(wins.GetLower(), wins.GetUpper()).AsSingle();
            }
            var minorTrains = kind == PriorLossKind.IrtInit ? Vector128<float>.AllBitsSet : ~mainTrains;
            float minorUnit = kind == PriorLossKind.IrtInit ? _minorInitUnit : _unit;
            for (int c = 0; c < 3; c++)
            {
                accMain += Widen(Vector128.Abs(dMain[c]) & mainTrains);
                if (grad is not null) (Sign(dMain[c], _unit) & mainTrains).CopyTo(grad.AsSpan(c * plane + i, Lanes));
                if (!_twoHeads) continue;
                accMinor += Widen(Vector128.Abs(dMinor[c]) & minorTrains);
                if (grad is not null) (Sign(dMinor[c], minorUnit) & minorTrains).CopyTo(grad.AsSpan((c + 3) * plane + i, Lanes));
            }
        }

        /// <summary>The scalar form of <see cref="Block"/> for the columns left after the last whole block.</summary>
        private void Pixel(int i, ref double main, ref double minor)
        {
            bool mainTrains = true;
            if (kind == PriorLossKind.Irt)
            {
                double qMain = 0, qMinor = 0;
                for (int c = 0; c < 3; c++)
                {
                    double scale = x[c * plane + i] + PriorLoss.IrtInputOffset;
                    qMain = Math.Max(qMain, Math.Abs(o[c * plane + i] - p[c * plane + i]) / scale);
                    qMinor = Math.Max(qMinor, Math.Abs(o[(c + 3) * plane + i] - p[c * plane + i]) / scale);
                }
                mainTrains = qMain < qMinor;
            }
            bool minorTrains = kind == PriorLossKind.IrtInit || !mainTrains;
            float minorUnit = kind == PriorLossKind.IrtInit ? _minorInitUnit : _unit;
            for (int c = 0; c < 3; c++)
            {
                int k = c * plane + i;
                float dm = o[k] - p[k];
                if (mainTrains)
                {
                    main += Math.Abs(dm);
                    if (grad is not null) grad[k] = Sign(dm, _unit);
                }
                if (!_twoHeads || !minorTrains) continue;
                float dn = o[k + 3 * plane] - p[k];
                minor += Math.Abs(dn);
                if (grad is not null) grad[k + 3 * plane] = Sign(dn, minorUnit);
            }
        }

        private static Vector256<double> Widen(Vector128<float> v) => Vector256.Create(Vector128.WidenLower(v), Vector128.WidenUpper(v));

        /// <summary>sign(d)·unit with sign(0) = 0 (and 0 for NaN, where Math.Sign would throw).</summary>
        private static Vector128<float> Sign(Vector128<float> d, float unit) =>
            (Vector128.GreaterThan(d, Vector128<float>.Zero) & Vector128.Create(unit)) |
            (Vector128.LessThan(d, Vector128<float>.Zero) & Vector128.Create(-unit));

        private static float Sign(float d, float unit) => d > 0 ? unit : d < 0 ? -unit : 0;
    }
}
