using Reel.Engine.Tensors;

namespace Reel.Engine.Metrics;

/// <summary>
/// <see cref="Flicker"/> and PSNR (of the mean squared error over frames, so a frame left exactly as
/// processed does not make it infinite) accumulated frame by frame as a sequence streams past, for
/// the processed and the stabilized frames at once, so no frame has to be kept.
/// </summary>
public sealed class FlickerMeter
{
    private Tensor? _input, _processed, _output;
    private double _before, _after, _mse;
    private long _elements;
    private int _frames;

    /// <summary>The next frame: the input, its per-frame processed version and the stabilized output, one size.</summary>
    public void Add(Tensor input, Tensor processed, Tensor output)
    {
        if (_input is not null)
        {
            _before += Flicker.StepSum(_processed!, processed, _input, input);
            _after += Flicker.StepSum(_output!, output, _input, input);
            _elements += output.Length;
        }
        _mse += Math.Pow(10, -ImageMetrics.Psnr(output, processed) / 10);
        _frames++;
        (_input, _processed, _output) = (input, processed, output);
    }

    /// <summary>Frames added so far.</summary>
    public int Frames => _frames;
    /// <summary>The processed frames' flicker (<see cref="Flicker"/>); NaN before the second frame.</summary>
    public double FlickerBefore => _elements > 0 ? _before / _elements : double.NaN;
    /// <summary>The stabilized frames' flicker; NaN before the second frame.</summary>
    public double FlickerAfter => _elements > 0 ? _after / _elements : double.NaN;
    /// <summary>PSNR of the stabilized frames to the processed ones, from their mean squared error over all frames.</summary>
    public double MeanPsnr => _frames > 0 ? 10 * Math.Log10(_frames / _mse) : double.NaN;
}
