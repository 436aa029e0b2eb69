using Reel.Emulation;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Backends.Cuda;
using Reel.Engine.Backends.Cuda.Native;
using Reel.Engine.Models;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using Reel.Engine.Training;
using Reel.Tests.Support;
using Xunit.Abstractions;

namespace Reel.Tests.Cuda;

/// <summary>
/// Reel's cuDNN code (CudnnConvolutions) against the emulated cuDNN, which holds each call to the
/// library's documented rules and rounds operands as the GPU's math does: every convolution the
/// engine runs, at each precision, against the CPU reference; the measured search once per plan and
/// the heuristics when the device has no memory for it; and the emulated library refusing what the
/// real one refuses, so that these passing means the rules were met.
/// </summary>
public class EmulatedCudnnTests(ITestOutputHelper output)
{
    /// <summary>The cases: the fused bias + ReLU, a bias and a ReLU alone (the epilogue kernel), 1 and 3 input channels, stride, dilation, 1×1, transposed, both gradients.</summary>
    private static IEnumerable<(string Name, Op Op, Shape[] Inputs)> Cases()
    {
        var fused = new Conv2dOp(3, 5, 3, 3, 1, 1, HasBias: true, Activation: Activation.Relu);
        var strided = new Conv2dOp(1, 8, 3, 3, 2, 1, HasBias: true);
        yield return ("conv 3→5, bias + ReLU", fused, new[] { new Shape(1, 3, 9, 11), new Shape(5, 3, 3, 3), new Shape(5) });
        yield return ("conv 1→8, stride 2, bias, 2 frames", strided, new[] { new Shape(2, 1, 10, 7), new Shape(8, 1, 3, 3), new Shape(8) });
        yield return ("conv 8→4, 1×1", new Conv2dOp(8, 4, 1, 1, HasBias: false), new[] { new Shape(1, 8, 5, 6), new Shape(4, 8, 1, 1) });
        yield return ("conv 4→6, dilation 2, ReLU", new Conv2dOp(4, 6, 3, 3, 1, 2, 2, HasBias: false, Activation: Activation.Relu),
            new[] { new Shape(1, 4, 8, 8), new Shape(6, 4, 3, 3) });
        yield return ("conv-transpose 6→3, stride 2, bias", new ConvTranspose2dOp(6, 3, 2, 2, HasBias: true),
            new[] { new Shape(1, 6, 4, 5), new Shape(6, 3, 2, 2), new Shape(3) });
        var linear = fused with { HasBias = false, Activation = Activation.None };
        yield return ("∂x of conv 3→5", new Conv2dBackwardDataOp(linear, 9, 11), new[] { new Shape(1, 5, 9, 11), new Shape(5, 3, 3, 3) });
        yield return ("∂W of conv 1→8, stride 2", new Conv2dBackwardWeightOp(strided with { HasBias = false }), new[] { new Shape(2, 1, 10, 7), new Shape(2, 8, 5, 4) });
    }

    [Theory]
    [InlineData(Precision.Fp32, 1e-6)]
    [InlineData(Precision.Tf32, 2e-3)]
    [InlineData(Precision.Bf16, 1e-2)]
    public void EveryConvolutionMatchesTheCpuInItsPrecision(Precision precision, double bound)
    {
        using var device = EmulatedGpu.OpenPrivate();
        using (var gpu = new CudaBackend(device, EmulatedCudnn.Convolutions(device, ReferenceBackend.Instance, precision, out var cudnn)))
        {
            var rng = new Random((int)precision + 5);
            foreach (var (name, op, shapes) in Cases())
            {
                var inputs = shapes.Select(s => Random(rng, s)).ToArray();
                var expected = ReferenceBackend.Instance.Execute(op, inputs);
                // The activations go up first: a host activation would bring its result back to the host.
                var onDevice = inputs.Select((t, i) => i < op.ActivationCount ? gpu.Import(t) : t).ToArray();
                using var actual = gpu.Execute(op, onDevice);
                foreach (var t in onDevice.Take(op.ActivationCount)) t.Dispose();
                Assert.False(actual.IsOnHost);
                double error = DeviceTrainingTests.RelativeL2(expected, actual.ToHost());
                output.WriteLine($"{precision} {name}: relative L2 {error:G3}");
                Assert.InRange(error, 0, bound);
                // The reduced precisions must have rounded something: their error is not fp32's.
                if (precision != Precision.Fp32) Assert.InRange(error, 1e-5, bound);
            }
            // Each algorithm ran with the math type it was listed with (tensor-op searches list the default math
            // first, which must then be set), and backward filter's faster nondeterministic algorithm was passed over.
            Assert.Equal(0, cudnn.MathMismatches);
            Assert.Equal(0, cudnn.NondeterministicRuns);
            if (precision == Precision.Fp32) Assert.Equal(0, cudnn.DefaultMathRuns);
            else Assert.True(cudnn.DefaultMathRuns > 0, "no call ran the default math the searches listed fastest");
        }
        Assert.Equal(0, device.LiveAllocations);
    }

    /// <summary>
    /// Issue 17's bf16 criterion, as far as the emulated cuDNN can say it: a prior trained with bf16
    /// convolutions follows the fp32 prior's loss curve, each epoch's mean within 5%, on a shot whose
    /// mapping it can learn (the processed frames a colour transform of the input's smooth pattern).
    /// </summary>
    [Fact]
    public void ABf16PriorFollowsTheFp32LossCurveWithin5Percent()
    {
        const int frames = 3, epochs = 6, h = 32, w = 48;
        var shot = Enumerable.Range(0, frames).Select(t =>
        {
            var input = new Tensor(new Shape(1, 3, h, w));
            var processed = new Tensor(new Shape(1, 3, h, w));
            for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = (c * h + y) * w + x;
                input.Data[i] = 0.5f + 0.4f * MathF.Sin(0.21f * x + 0.13f * y * (c + 1) + 0.4f * t);
                processed.Data[i] = 0.15f + 0.7f * input.Data[i] * (1 - 0.2f * c);
            }
            return (input, processed);
        }).ToArray();
        double[] Curve(Precision precision)
        {
            using var device = EmulatedGpu.OpenPrivate();
            using var gpu = EmulatedGpu.Backend(device, null, precision);
            using var net = VideoPrior.Create(8, 3, seed: 9);
            net.MoveTo(gpu);
            using var trainer = new PriorTrainer(net, gpu, learningRate: 1e-3f);
            return Enumerable.Range(0, epochs)
                .Select(_ => shot.Average(f => trainer.Step(PriorLossKind.L1, f.input, f.processed, h, w)))
                .ToArray();
        }
        var fp32 = Curve(Precision.Fp32);
        var bf16 = Curve(Precision.Bf16);
        double worst = fp32.Zip(bf16, (a, b) => Math.Abs(b - a) / a).Max();
        output.WriteLine($"per-epoch mean L1, fp32: {string.Join(", ", fp32.Select(v => v.ToString("F4")))}");
        output.WriteLine($"per-epoch mean L1, bf16: {string.Join(", ", bf16.Select(v => v.ToString("F4")))}; worst gap {worst:P2}");
        Assert.True(fp32[^1] < 0.8 * fp32[0], "the fp32 prior did not learn: no curve to follow");
        Assert.InRange(worst, 0, 0.05);
    }

    /// <summary>
    /// cuDNN may refuse the fused bias + ReLU call for a layer whose plain call it runs: the layer then runs
    /// unfused (the plain call and the epilogue kernel), with the same result, and its plan stays unfused.
    /// </summary>
    [Fact]
    public void ALayerWhoseFusedCallIsRefusedRunsUnfused()
    {
        using var device = EmulatedGpu.OpenPrivate();
        var convolutions = EmulatedCudnn.Convolutions(device, ReferenceBackend.Instance, Precision.Fp32, out var cudnn);
        using (var gpu = new CudaBackend(device, convolutions))
        {
            var rng = new Random(5);
            var op = new Conv2dOp(1, 4, 3, 3, 1, 1, HasBias: true, Activation: Activation.Relu);
            var (w, b) = (Random(rng, new Shape(4, 1, 3, 3)), Random(rng, new Shape(4)));
            cudnn.RefusesFusedCalls = true;
            for (int run = 0; run < 3; run++)
                AssertMatchesCpu(gpu, op, new[] { Random(rng, new Shape(1, 1, 6, 7)), w, b }, 1e-6);
            // Refused once, at the first run; the plan has run unfused since.
            Assert.Equal(1, ((CudnnConvolutions)convolutions).FusionsRefused);
        }
        Assert.Equal(0, device.LiveAllocations);
    }

    /// <summary>
    /// fp32, the reference, convolves only with the algorithms that sum the products directly: offered Winograd
    /// as the fastest for every call, TF32 takes it and fp32 passes it over, the forward, ∂x and ∂W alike, in the
    /// measured search and in the heuristic estimate.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Fp32PassesOverTheWinogradAlgorithmThatTf32Takes(bool measure)
    {
        var op = new Conv2dOp(3, 4, 3, 3, 1, 1, HasBias: true, Activation: Activation.Relu);
        var linear = op with { HasBias = false, Activation = Activation.None };
        var rng = new Random(11);
        var (x, w, b, dy) = (Random(rng, new Shape(1, 3, 6, 7)), Random(rng, new Shape(4, 3, 3, 3)), Random(rng, new Shape(4)), Random(rng, new Shape(1, 4, 6, 7)));
        var calls = new (Op Op, Tensor[] Inputs, string Winograd)[]
        {
            (op, new[] { x, w, b }, "cudnn 7 "),
            (new Conv2dBackwardDataOp(linear, 6, 7), new[] { dy, w }, "cudnn 5 "),
            (new Conv2dBackwardWeightOp(linear), new[] { x, dy }, "cudnn 5 "),
        };
        foreach (var precision in new[] { Precision.Fp32, Precision.Tf32 })
        {
            using var device = EmulatedGpu.OpenPrivate();
            using (var gpu = new CudaBackend(device, EmulatedCudnn.Convolutions(device, ReferenceBackend.Instance, precision, out var cudnn, measure)))
            {
                cudnn.ListsWinograd = true;
                foreach (var (o, inputs, winograd) in calls)
                {
                    AssertMatchesCpu(gpu, o, inputs, 2e-3);
                    string path = gpu.Describe(o, inputs[0].Shape);
                    output.WriteLine($"{precision}, {(measure ? "measured" : "estimated")}: {o.GetType().Name} ran {path}");
                    if (precision == Precision.Fp32) Assert.Matches("^cudnn [01] fma", path);
                    else Assert.StartsWith(winograd, path);
                }
                Assert.Equal(0, cudnn.MathMismatches);
            }
            Assert.Equal(0, device.LiveAllocations);
        }
    }

    /// <summary>
    /// An algorithm listed only under tensor-op math runs in fp32 under FMA math, with the workspace cuDNN says it
    /// takes there: here IMPLICIT_PRECOMP_GEMM, listed with none and needing its offsets under FMA, which the
    /// emulated cuDNN refuses to run short of.
    /// </summary>
    [Fact]
    public void Fp32AsksTheWorkspaceOfAnAlgorithmListedUnderAnotherMathType()
    {
        using var device = EmulatedGpu.OpenPrivate();
        using (var gpu = new CudaBackend(device, EmulatedCudnn.Convolutions(device, ReferenceBackend.Instance, Precision.Fp32, out var cudnn)))
        {
            cudnn.ListsTensorOpsOnly = true;
            var rng = new Random(12);
            var op = new Conv2dOp(3, 4, 3, 3, 1, 1, HasBias: true, Activation: Activation.Relu);
            var inputs = new[] { new Shape(1, 3, 6, 7), new Shape(4, 3, 3, 3), new Shape(4) }.Select(s => Random(rng, s)).ToArray();
            AssertMatchesCpu(gpu, op, inputs, 1e-6);
            Assert.Equal("cudnn 1 fma fused", gpu.Describe(op, inputs[0].Shape));
        }
        Assert.Equal(0, device.LiveAllocations);
    }

    [Fact]
    public void APlanSearchesOnceAndTakesTheHeuristicsWhenTheSearchHasNothingToOffer()
    {
        using var device = EmulatedGpu.OpenPrivate();
        using (var gpu = new CudaBackend(device, EmulatedCudnn.Convolutions(device, ReferenceBackend.Instance, Precision.Fp32, out var cudnn)))
        {
            var rng = new Random(3);
            Tensor Next(Shape s) => Random(rng, s);
            var op = new Conv2dOp(3, 4, 3, 3, 1, 1, HasBias: true, Activation: Activation.Relu);
            var (w, b) = (Next(new Shape(4, 3, 3, 3)), Next(new Shape(4)));
            void Check(Op o, params Tensor[] inputs) => AssertMatchesCpu(gpu, o, inputs, 1e-6);
            var x = Next(new Shape(1, 3, 6, 7));
            Check(op, x, w, b);
            Check(op, Next(new Shape(1, 3, 6, 7)), w, b);
            Assert.Equal((1, 0), (cudnn.Searches, cudnn.Estimates));
            var linear = op with { HasBias = false, Activation = Activation.None };
            Check(new Conv2dBackwardDataOp(linear, 6, 7), Next(new Shape(1, 4, 6, 7)), w);
            Check(new Conv2dBackwardWeightOp(linear), x, Next(new Shape(1, 4, 6, 7)));
            // The gradients share the linear conv's descriptors, whose forward nobody runs and nobody searches: one search each.
            Assert.Equal((3, 0), (cudnn.Searches, cudnn.Estimates));
            // A forward on those descriptors (the conv with neither bias nor activation) searches its algorithm then.
            Check(linear, x, w);
            Assert.Equal((4, 0), (cudnn.Searches, cudnn.Estimates));
            // A search whose every entry failed: the v7 estimate decides, the result is the same.
            cudnn.SearchEntriesFail = true;
            Check(op, Next(new Shape(1, 3, 4, 4)), w, b);
            Assert.Equal((5, 1), (cudnn.Searches, cudnn.Estimates));
            cudnn.SearchEntriesFail = false;
            // A full device: cuDNN's search cannot allocate what it times on, the v7 estimate decides, the result is the same.
            device.FreeMemoryBytes = 0;
            Check(op, Next(new Shape(1, 3, 5, 5)), w, b);
            Assert.Equal((5, 2), (cudnn.Searches, cudnn.Estimates));
        }
        // REEL_CUDNN_SEARCH=heuristic: no search at all, the estimate for every plan.
        using (var gpu = new CudaBackend(device, EmulatedCudnn.Convolutions(device, ReferenceBackend.Instance, Precision.Fp32, out var cudnn, measureAlgorithms: false)))
        {
            var rng = new Random(4);
            var op = new Conv2dOp(2, 3, 3, 3, 1, 1, HasBias: true, Activation: Activation.Relu);
            AssertMatchesCpu(gpu, op, new[] { new Shape(1, 2, 5, 6), new Shape(3, 2, 3, 3), new Shape(3) }.Select(s => Random(rng, s)).ToArray(), 1e-6);
            Assert.Equal((0, 1), (cudnn.Searches, cudnn.Estimates));
            Assert.Contains("heuristic algorithms", gpu.ConvolutionEngine);
        }
        Assert.Equal(0, device.LiveAllocations);
    }

    /// <summary>
    /// A NaN before a ReLU comes out as the CPU's does, so the finite checks still see it: through cuDNN's
    /// fused ReLU (told to propagate it), the epilogue kernel after an unfused convolution (a transposed one),
    /// bf16's widen with its epilogue, and the ReLU op itself.
    /// </summary>
    [Theory]
    [InlineData(Precision.Fp32, "fused conv")]
    [InlineData(Precision.Fp32, "transposed conv")]
    [InlineData(Precision.Bf16, "fused conv")]
    [InlineData(Precision.Bf16, "transposed conv")]
    [InlineData(Precision.Fp32, "relu")]
    public void ANaNGoesThroughTheReluAsOnTheCpu(Precision precision, string where)
    {
        using var device = EmulatedGpu.OpenPrivate();
        using (var gpu = EmulatedGpu.Backend(device, ReferenceBackend.Instance, precision))
        {
            var rng = new Random(8);
            var x = new Tensor(new Shape(1, 2, 6, 6), EmulatedGpu.RandomFloats(rng, 72, -1, 1));
            x.Data[14] = float.NaN;
            var bias = new Tensor(new Shape(3), new[] { -5f, 0f, 5f });
            var (op, parameters) = where switch
            {
                "fused conv" => ((Op)new Conv2dOp(2, 3, 3, 3, 1, 1, HasBias: true, Activation: Activation.Relu),
                    new[] { new Tensor(new Shape(3, 2, 3, 3), EmulatedGpu.RandomFloats(rng, 54, -1, 1)), bias }),
                "transposed conv" => (new ConvTranspose2dOp(2, 3, 4, 2, 1, HasBias: true, Activation: Activation.Relu),
                    new[] { new Tensor(new Shape(2, 3, 4, 4), EmulatedGpu.RandomFloats(rng, 96, -1, 1)), bias }),
                _ => (new ReluOp(), Array.Empty<Tensor>()),
            };
            var expected = ReferenceBackend.Instance.Execute(op, new[] { x }.Concat(parameters).ToArray());
            using var onDevice = gpu.Import(x);
            using var y = gpu.Execute(op, new[] { onDevice }.Concat(parameters).ToArray());
            var actual = y.ToHost();
            Assert.Contains(expected.Data, float.IsNaN);
            Assert.Equal(expected.Data.Select(float.IsNaN), actual.Data.Select(float.IsNaN));
        }
        Assert.Equal(0, device.LiveAllocations);
    }

    [Fact]
    public unsafe void TheEmulatedCudnnRefusesWhatCudnnRefuses()
    {
        using var device = EmulatedGpu.OpenPrivate();
        ICudnn cudnn = new EmulatedCudnn(device, ReferenceBackend.Instance);
        Assert.Equal(0, cudnn.Create(out var handle));
        nint Tensor(int format, int c, int h, int w)
        {
            Assert.Equal(0, cudnn.CreateTensorDescriptor(out var d));
            Assert.Equal(0, cudnn.SetTensor4dDescriptor(d, format, Cudnn.CUDNN_DATA_FLOAT, 1, c, h, w));
            return d;
        }
        var (nchw, nhwc) = (Cudnn.CUDNN_TENSOR_NCHW, Cudnn.CUDNN_TENSOR_NHWC);
        var (x, y, wrongY, bias) = (Tensor(nhwc, 3, 6, 6), Tensor(nhwc, 2, 6, 6), Tensor(nhwc, 2, 5, 6), Tensor(nchw, 2, 1, 1));
        Assert.Equal(0, cudnn.CreateFilterDescriptor(out var nchwFilter));
        Assert.Equal(0, cudnn.SetFilter4dDescriptor(nchwFilter, Cudnn.CUDNN_DATA_FLOAT, nchw, 2, 3, 3, 3));
        Assert.Equal(0, cudnn.CreateFilterDescriptor(out var krsc));
        Assert.Equal(0, cudnn.SetFilter4dDescriptor(krsc, Cudnn.CUDNN_DATA_FLOAT, nhwc, 2, 3, 3, 3));
        Assert.Equal(0, cudnn.CreateConvolutionDescriptor(out var conv));
        Assert.Equal(0, cudnn.SetConvolution2dDescriptor(conv, 1, 1, 1, 1, 1, 1, Cudnn.CUDNN_CROSS_CORRELATION, Cudnn.CUDNN_DATA_FLOAT));
        Assert.Equal(0, cudnn.CreateActivationDescriptor(out var identity));
        Assert.Equal(0, cudnn.SetActivationDescriptor(identity, Cudnn.CUDNN_ACTIVATION_IDENTITY, Cudnn.CUDNN_NOT_PROPAGATE_NAN, 0));
        using var memory = device.Allocate(4096);
        ulong p = memory.Ptr.Address;
        float one = 1, zero = 0;
        void Refused(int status, string words)
        {
            Assert.NotEqual(0, status);
            Assert.Contains(words, cudnn.ErrorString(status));
        }
        Refused(cudnn.ConvolutionForward(handle, &one, x, p, nchwFilter, p, conv, 0, 0, 0, &zero, y, p), "one layout for all three");
        Refused(cudnn.ConvolutionForward(handle, &one, x, p, krsc, p, conv, 0, 0, 0, &zero, wrongY, p), "the convolution of 6×6 gives 6×6");
        Refused(cudnn.ConvolutionForward(handle, &one, x, p, krsc, p, conv, 1, 0, 0, &zero, y, p), "workspace");
        Refused(cudnn.ConvolutionBiasActivationForward(handle, &one, x, p, krsc, p, conv, 0, 0, 0, &zero, y, p, bias, p, identity, y, p), "IMPLICIT_PRECOMP_GEMM");
        Assert.Equal(0, cudnn.ConvolutionForward(handle, &one, x, p, krsc, p, conv, 0, 0, 0, &zero, y, p));
        // A search allocates: not while the stream is capturing, whose graph could not hold it.
        using var stream = device.CreateStream();
        var perfs = new CudnnAlgoPerf[2];
        var refused = Assert.Throws<CudaException>(() => device.Capture(stream, () =>
        {
            fixed (CudnnAlgoPerf* r = perfs) cudnn.FindConvolutionForwardAlgorithm(handle, x, krsc, conv, y, 2, out _, r);
        }));
        Assert.Equal(EmulatedDevice.CaptureUnsupported, refused.Status);
        foreach (var d in new[] { x, y, wrongY, bias }) Assert.Equal(0, cudnn.DestroyTensorDescriptor(d));
        Assert.NotEqual(0, cudnn.DestroyTensorDescriptor(x));
        Assert.Equal(0, cudnn.Destroy(handle));
    }

    /// <summary>
    /// A chain of convolutions in bf16 keeps its activations bfloat16 NHWC between the layers: the same bits as
    /// its layers run one at a time (each widening its result to float for the next to round back), from one
    /// input conversion, the weights', an epilogue for each inner layer with a bias or ReLU and one widen,
    /// the launches counted; and a DnCNN frame goes through its layers so.
    /// </summary>
    [Fact]
    public void ABf16ChainKeepsItsActivationsBfloat16WithTheBitsOfItsLayersRunAlone()
    {
        using var device = EmulatedGpu.OpenPrivate();
        using (var gpu = EmulatedGpu.Backend(device, ReferenceBackend.Instance, Precision.Bf16, graphs: false))
        {
            var layers = new[]
            {
                new Conv2dOp(1, 8, 3, 3, 1, 1, HasBias: true, Activation: Activation.Relu),
                new Conv2dOp(8, 3, 3, 3, 1, 1, HasBias: true, Activation: Activation.Relu),
                new Conv2dOp(3, 8, 3, 3, 1, 1, HasBias: false),
                new Conv2dOp(8, 1, 3, 3, 1, 1),
            };
            var chain = new ConvChainOp("test chain", layers);
            var rng = new Random(11);
            var parameters = Reel.Cli.Commands.SelfTestInputs.Parameters(chain, rng);
            var x = Random(rng, new Shape(2, 1, 10, 13));
            using var onDevice = gpu.Import(x);
            using var prepared = gpu.Prepare(chain, parameters);
            // The first run makes the layers' plans; the second is counted.
            prepared.Run(onDevice).Dispose();
            gpu.Synchronize();
            int before = device.Launches;
            using var together = prepared.Run(onDevice);
            var chained = together.ToHost();
            // The input rounded in, the 4 weights, the epilogues of layers 1 and 2 (layer 3 has neither bias nor ReLU), the widen, the finite check.
            Assert.Equal(1 + 4 + 2 + 1 + 1, device.Launches - before);

            var perLayer = chain.PerLayer(parameters);
            var alone = new List<Tensor>();
            var h = onDevice;
            for (int i = 0; i < layers.Length; i++)
            {
                using var layer = gpu.Prepare(layers[i], perLayer[i]);
                alone.Add(h = layer.Run(h));
            }
            Assert.Equal(alone[^1].ToHost().Data, chained.Data);
            foreach (var t in alone) t.Dispose();
            double error = DeviceTrainingTests.RelativeL2(ReferenceBackend.Instance.Execute(chain, parameters.Prepend(x).ToArray()), chained);
            Assert.InRange(error, 1e-5, 2e-2);

            // DnCNN's layers as one chain: its input check, the chain's 2 × 4 + 2 launches and check, the residual.
            using var model = SmallNets.DnCnn(layers: 4, width: 8, channels: 1, gpu, seed: 3);
            using var frame = gpu.Import(Random(rng, new Shape(1, 1, 12, 9)));
            model.Forward(frame).Dispose();
            gpu.Synchronize();
            before = device.Launches;
            using var denoised = model.Forward(frame);
            gpu.Synchronize();
            Assert.Equal(1 + (2 * 4 + 2) + 1, device.Launches - before);
            output.WriteLine($"bf16 chain of 4 layers: the layers' own bits, {error:G3} from the CPU reference; 9 launches a run, DnCNN-4 12 a frame");
        }
        Assert.Equal(0, device.LiveAllocations);
    }

    /// <summary>A tensor of <paramref name="shape"/> with values uniform in [−1, 1].</summary>
    private static Tensor Random(Random rng, Shape shape) => new(shape, EmulatedGpu.RandomFloats(rng, (int)shape.ElementCount, -1, 1));

    /// <summary><paramref name="op"/> on the device within <paramref name="bound"/> relative L2 of the CPU reference.</summary>
    private static void AssertMatchesCpu(CudaBackend gpu, Op op, Tensor[] inputs, double bound)
    {
        using var y = gpu.Execute(op, inputs);
        Assert.InRange(DeviceTrainingTests.RelativeL2(ReferenceBackend.Instance.Execute(op, inputs), y.ToHost()), 0, bound);
    }
}
