using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Reel.Engine.Checkpoints;

/// <summary>
/// A restricted unpickler. It understands the opcodes that `torch.save` emits and models the
/// handful of globals a state dict needs as plain data. Any other global is refused with an
/// error naming it; nothing read from the file is ever executed or instantiated.
/// </summary>
internal sealed class PickleReader
{
    /// <summary>The only globals a checkpoint may name. Storage types map to their element type.</summary>
    private static readonly Dictionary<string, StorageDType?> AllowedGlobals = new()
    {
        ["collections.OrderedDict"] = null,
        ["torch._utils._rebuild_tensor_v2"] = null,
        ["torch._utils._rebuild_tensor"] = null,
        ["torch._utils._rebuild_parameter"] = null,
        ["torch.FloatStorage"] = StorageDType.Float32,
        ["torch.DoubleStorage"] = StorageDType.Float64,
        ["torch.HalfStorage"] = StorageDType.Float16,
        ["torch.BFloat16Storage"] = StorageDType.BFloat16,
        ["torch.LongStorage"] = StorageDType.Int64,
        ["torch.IntStorage"] = StorageDType.Int32,
        ["torch.ShortStorage"] = StorageDType.Int16,
        ["torch.CharStorage"] = StorageDType.Int8,
        ["torch.ByteStorage"] = StorageDType.UInt8,
        ["torch.BoolStorage"] = StorageDType.Bool,
    };

    private static readonly object Mark = new();

    private readonly Stream _stream;
    private readonly Func<PickleTuple, object>? _persistentLoad;
    private readonly string _source;
    private readonly List<object?> _stack = new();
    private readonly Dictionary<long, object?> _memo = new();

    /// <param name="stream">Positioned at the first opcode; left just after STOP.</param>
    /// <param name="persistentLoad">Resolves persistent ids (torch storages); null refuses them.</param>
    /// <param name="source">File name used in error messages.</param>
    public PickleReader(Stream stream, Func<PickleTuple, object>? persistentLoad, string source)
    {
        _stream = stream;
        _persistentLoad = persistentLoad;
        _source = source;
    }

    public static bool IsStorageGlobal(PickleGlobal g, out StorageDType dtype)
    {
        if (AllowedGlobals.TryGetValue(g.FullName, out var d) && d is { } v) { dtype = v; return true; }
        dtype = default;
        return false;
    }

    /// <summary>Reads one pickle up to its STOP opcode and returns the top object.</summary>
    public object? Load()
    {
        _stack.Clear();
        _memo.Clear();
        while (true)
        {
            int op = _stream.ReadByte();
            if (op < 0) throw Fail("file ends inside a pickle (truncated checkpoint?)");
            switch (op)
            {
                case 0x80: ReadByteOrFail(); break; // PROTO
                case 0x95: ReadBytes(8); break; // FRAME: framing is transparent for a stream reader
                case '.': // STOP
                    if (_stack.Count != 1) throw Fail($"pickle ended with {_stack.Count} objects on the stack");
                    return Pop();
                case '(': _stack.Add(Mark); break;
                case '0': Pop(); break;
                case '1': PopMark(); break;
                case '2': Push(Peek()); break;
                case 'N': Push(null); break;
                case 0x88: Push(true); break;
                case 0x89: Push(false); break;
                case 'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break;
                case 'K': Push((long)ReadByteOrFail()); break;
                case 'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break;
                case 0x8a: Push(ReadLong(ReadByteOrFail())); break;
                case 0x8b:
                {
                    int n = BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4));
                    if (n < 0 || n > 1 << 16) throw Fail($"LONG4 of {n} bytes");
                    Push(ReadLong(n));
                    break;
                }
                case 'I': Push(ParseTextInt(ReadLine())); break;
                case 'L': Push(ParseTextInt(ReadLine().TrimEnd('L'))); break;
                case 'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break;
                case 'F':
                {
                    var text = ReadLine();
                    Push(double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw Fail($"bad text float '{text}'"));
                    break;
                }
                case 'X': Push(Encoding.UTF8.GetString(ReadBytes(ReadLength4()))); break;
                case 0x8c: Push(Encoding.UTF8.GetString(ReadBytes(ReadByteOrFail()))); break;
                case 0x8d: Push(Encoding.UTF8.GetString(ReadBytes(ReadLength8()))); break;
                case 'T': Push(Encoding.Latin1.GetString(ReadBytes(ReadLength4()))); break;
                case 'U': Push(Encoding.Latin1.GetString(ReadBytes(ReadByteOrFail()))); break;
                case 'B': Push(ReadBytes(ReadLength4())); break;
                case 'C': Push(ReadBytes(ReadByteOrFail())); break;
                case 0x8e: Push(ReadBytes(ReadLength8())); break;
                case ')': Push(new PickleTuple(Array.Empty<object?>())); break;
                case 't': Push(new PickleTuple(PopMark().ToArray())); break;
                case 0x85: { var a = Pop(); Push(new PickleTuple(new[] { a })); break; }
                case 0x86: { var b = Pop(); var a = Pop(); Push(new PickleTuple(new[] { a, b })); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new PickleTuple(new[] { a, b, c })); break; }
                case ']': Push(new List<object?>()); break;
                case 'l': Push(PopMark()); break;
                case 'a': { var v = Pop(); AsList(Peek()).Add(v); break; }
                case 'e': { var items = PopMark(); AsList(Peek()).AddRange(items); break; }
                case '}': Push(new PickleDict()); break;
                case 'd': { var items = PopMark(); var d = new PickleDict(); AddPairs(d, items); Push(d); break; }
                case 's': { var v = Pop(); var k = Pop(); AsDict(Peek()).Set(Key(k), v); break; }
                case 'u': { var items = PopMark(); AddPairs(AsDict(Peek()), items); break; }
                case 'q': _memo[ReadByteOrFail()] = Peek(); break;
                case 'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))] = Peek(); break;
                case 'p': _memo[ParseTextInt(ReadLine()) is long l ? l : throw Fail("PUT index too large")] = Peek(); break;
                case 0x94: _memo[_memo.Count] = Peek(); break;
                case 'h': Push(MemoGet(ReadByteOrFail())); break;
                case 'j': Push(MemoGet(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)))); break;
                case 'g': Push(MemoGet(ParseTextInt(ReadLine()) is long g ? g : throw Fail("GET index too large"))); break;
                case 'c': Push(ResolveGlobal(ReadLine(), ReadLine())); break;
                case 0x93: { var name = Pop(); var module = Pop(); Push(ResolveGlobal(AsString(module), AsString(name))); break; }
                case 'R': { var args = Pop(); var fn = Pop(); Push(Reduce(fn, args)); break; }
                case 'b': { var state = Pop(); Build(Peek(), state); break; }
                case 'Q': Push(PersistentLoad(Pop())); break;
                case 'P': Push(PersistentLoad(new PickleTuple(new object?[] { ReadLine() }))); break;
                default:
                    // The character only where it prints: a NUL in the message made grep take stderr for binary.
                    throw Fail($"pickle opcode 0x{op:x2}{(op is >= 0x21 and < 0x7f ? $" ('{(char)op}')" : "")} is not allowed in a checkpoint");
            }
        }
    }

    private object ResolveGlobal(string module, string name)
    {
        var g = new PickleGlobal(module, name);
        if (!AllowedGlobals.ContainsKey(g.FullName))
            throw Fail($"refused global '{g.FullName}': a state-dict checkpoint never needs it (the file may be malicious or a whole pickled model)");
        return g;
    }

    private object? Reduce(object? fn, object? argsObj)
    {
        if (fn is not PickleGlobal g) throw Fail("REDUCE on something that is not an allowed global");
        if (argsObj is not PickleTuple args) throw Fail($"REDUCE of {g.FullName} without an argument tuple");
        switch (g.FullName)
        {
            case "collections.OrderedDict":
                var d = new PickleDict();
                if (args.Count == 1 && args[0] is List<object?> pairs)
                    foreach (var p in pairs)
                        if (p is PickleTuple { Count: 2 } kv) d.Set(Key(kv[0]), kv[1]);
                        else throw Fail("OrderedDict built from something other than pairs");
                else if (args.Count != 0) throw Fail("OrderedDict with unexpected arguments");
                return d;
            case "torch._utils._rebuild_tensor_v2":
            case "torch._utils._rebuild_tensor":
                if (args.Count < 4 || args[0] is not StorageRef storage)
                    throw Fail($"{g.FullName} with unexpected arguments");
                return new TensorRef(storage, AsLong(args[1]), AsLongs(args[2]), AsLongs(args[3]));
            case "torch._utils._rebuild_parameter":
                if (args.Count < 1 || args[0] is not TensorRef t) throw Fail("_rebuild_parameter without a tensor");
                return t;
            default:
                throw Fail($"global '{g.FullName}' cannot be called");
        }
    }

    private void Build(object? target, object? state)
    {
        if (target is PickleDict d) { d.State = state; return; }
        throw Fail("BUILD on an object that is not a dict");
    }

    private object PersistentLoad(object? pid)
    {
        if (_persistentLoad is null) throw Fail("persistent id in a pickle that must not have one");
        if (pid is not PickleTuple t) throw Fail("persistent id is not a tuple");
        return _persistentLoad(t);
    }

    private static void AddPairs(PickleDict d, List<object?> items)
    {
        if (items.Count % 2 != 0) throw new CheckpointException("odd number of items in a pickled dict");
        for (int i = 0; i < items.Count; i += 2) d.Set(Key(items[i]), items[i + 1]);
    }

    private static object Key(object? k) => k switch
    {
        string or long or bool or double => k,
        PickleTuple => k,
        null => throw new CheckpointException("None as a dict key"),
        _ => throw new CheckpointException($"unhashable dict key of type {k.GetType().Name}"),
    };

    private object ReadLong(int n)
    {
        var bytes = ReadBytes(n);
        var v = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return v >= long.MinValue && v <= long.MaxValue ? (long)v : v;
    }

    private object ParseTextInt(string s)
    {
        if (s == "00") return false;
        if (s == "01") return true;
        if (!BigInteger.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
            throw Fail($"bad text integer '{s}'");
        return v >= long.MinValue && v <= long.MaxValue ? (long)v : v;
    }

    private object? MemoGet(long i) =>
        _memo.TryGetValue(i, out var v) ? v : throw Fail($"memo slot {i} used before it was set");

    private int ReadLength4()
    {
        uint n = BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4));
        return CheckLength(n);
    }

    private int ReadLength8()
    {
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8));
        return CheckLength(n);
    }

    private int CheckLength(ulong n)
    {
        long remaining = _stream.CanSeek ? _stream.Length - _stream.Position : int.MaxValue;
        if (n > (ulong)remaining || n > int.MaxValue) throw Fail($"a length of {n} bytes runs past the end of the file");
        return (int)n;
    }

    private byte ReadByteOrFail()
    {
        int b = _stream.ReadByte();
        return b < 0 ? throw Fail("file ends inside a pickle (truncated checkpoint?)") : (byte)b;
    }

    private byte[] ReadBytes(int n)
    {
        var buf = new byte[n];
        try { _stream.ReadExactly(buf); }
        catch (EndOfStreamException) { throw Fail("file ends inside a pickle (truncated checkpoint?)"); }
        return buf;
    }

    private string ReadLine()
    {
        var sb = new StringBuilder();
        while (true)
        {
            byte b = ReadByteOrFail();
            if (b == '\n') return sb.ToString();
            if (sb.Length > 4096) throw Fail("text line in pickle longer than 4096 bytes");
            sb.Append((char)b);
        }
    }

    private void Push(object? o) => _stack.Add(o);

    private object? Peek() => _stack.Count > 0 && _stack[^1] != Mark ? _stack[^1] : throw Fail("pickle stack underflow");

    private object? Pop()
    {
        var o = Peek();
        _stack.RemoveAt(_stack.Count - 1);
        return o;
    }

    private List<object?> PopMark()
    {
        int m = _stack.LastIndexOf(Mark);
        if (m < 0) throw Fail("pickle MARK missing");
        var items = _stack.GetRange(m + 1, _stack.Count - m - 1);
        _stack.RemoveRange(m, _stack.Count - m);
        return items;
    }

    private List<object?> AsList(object? o) => o as List<object?> ?? throw Fail("APPEND to something that is not a list");
    private PickleDict AsDict(object? o) => o as PickleDict ?? throw Fail("SETITEM on something that is not a dict");
    private string AsString(object? o) => o as string ?? throw Fail("expected a string in the pickle");
    private long AsLong(object? o) => o is long l ? l : throw Fail("expected an integer in the pickle");
    private long[] AsLongs(object? o) =>
        o is PickleTuple t ? t.Items.Select(AsLong).ToArray() : throw Fail("expected a tuple of integers in the pickle");

    private CheckpointException Fail(string what) => new($"{_source}: {what}");
}
