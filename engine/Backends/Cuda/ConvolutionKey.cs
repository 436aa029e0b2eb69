using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cuda;

/// <summary>The key of a conv plan: the op (with all its parameters), the input shape, and whether the operands are bfloat16.</summary>
internal readonly record struct ConvolutionKey(Op Op, Shape Input, bool Bf16);
