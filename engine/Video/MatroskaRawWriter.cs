using System.Buffers.Binary;
using System.Text;

namespace Reel.Engine.Video;

/// <summary>
/// Writes raw RGB frames with their own timestamps as a Matroska stream (codec V_UNCOMPRESSED),
/// the form in which frames go to the ffmpeg encoder. A bare raw-video pipe has no timestamps,
/// so every frame would be assumed to last the same; this container carries each frame's
/// presentation time, which keeps variable-frame-rate video variable. The timestamp scale is
/// 1 ns, so any source time base is carried without loss, and each frame gets its own cluster
/// (a block's timestamp is relative to its cluster and only 16 bits wide).
/// </summary>
public sealed class MatroskaRawWriter
{
    // Element IDs from the Matroska specification (RFC 9559).
    private const uint Ebml = 0x1A45DFA3, EbmlVersion = 0x4286, EbmlReadVersion = 0x42F7, EbmlMaxIdLength = 0x42F2,
        EbmlMaxSizeLength = 0x42F3, DocType = 0x4282, DocTypeVersion = 0x4287, DocTypeReadVersion = 0x4285,
        Segment = 0x18538067, Info = 0x1549A966, TimestampScale = 0x2AD7B1, MuxingApp = 0x4D80, WritingApp = 0x5741,
        Tracks = 0x1654AE6B, TrackEntry = 0xAE, TrackNumber = 0xD7, TrackUid = 0x73C5, TrackType = 0x83, CodecId = 0x86, DefaultDuration = 0x23E383,
        VideoElement = 0xE0, PixelWidth = 0xB0, PixelHeight = 0xBA, ColourSpace = 0x2EB524,
        Cluster = 0x1F43B675, ClusterTimestamp = 0xE7, SimpleBlock = 0xA3;

    private readonly Stream _out;
    private readonly int _frameBytes;
    private readonly byte[] _clusterHeader = new byte[64];

    /// <param name="frameDurationNs">
    /// The track's default frame duration, which a frame has when no later frame says otherwise: the
    /// last one (without it a one-frame video would last a millisecond). 0 leaves it unset.
    /// </param>
    /// <param name="deep">16 bits a sample (rgb48le) rather than 8 (rgb24).</param>
    public MatroskaRawWriter(Stream output, int width, int height, bool deep, long frameDurationNs = 0)
    {
        _out = output;
        _frameBytes = width * height * (deep ? 6 : 3);
        // FourCCs ffmpeg maps to these raw layouts (its raw pixel-format tag table): RGB and the bits a pixel.
        var fourcc = new byte[] { (byte)'R', (byte)'G', (byte)'B', (byte)(deep ? 48 : 24) };
        var header = new MemoryStream();
        WriteElement(header, Ebml, Concat(
            UInt(EbmlVersion, 1), UInt(EbmlReadVersion, 1), UInt(EbmlMaxIdLength, 4), UInt(EbmlMaxSizeLength, 8),
            Text(DocType, "matroska"), UInt(DocTypeVersion, 4), UInt(DocTypeReadVersion, 2)));
        WriteId(header, Segment);
        header.Write(UnknownSize);
        WriteElement(header, Info, Concat(UInt(TimestampScale, 1), Text(MuxingApp, "reel"), Text(WritingApp, "reel")));
        WriteElement(header, Tracks, Element(TrackEntry, Concat(
            UInt(TrackNumber, 1), UInt(TrackUid, 1), UInt(TrackType, 1), Text(CodecId, "V_UNCOMPRESSED"),
            frameDurationNs > 0 ? UInt(DefaultDuration, (ulong)frameDurationNs) : Array.Empty<byte>(),
            Element(VideoElement, Concat(UInt(PixelWidth, (ulong)width), UInt(PixelHeight, (ulong)height), Element(ColourSpace, fourcc))))));
        _out.Write(header.GetBuffer(), 0, (int)header.Length);
    }

    /// <summary>One frame at <paramref name="ptsNs"/> nanoseconds; timestamps must not decrease.</summary>
    public void WriteFrame(ReadOnlySpan<byte> pixels, long ptsNs)
    {
        if (pixels.Length != _frameBytes) throw new ArgumentException($"frame of {pixels.Length} bytes, expected {_frameBytes}");
        if (ptsNs < 0) throw new ArgumentOutOfRangeException(nameof(ptsNs), "timestamps start at 0");
        // Cluster { Timestamp = pts, SimpleBlock { track 1, relative time 0, keyframe, pixels } }.
        const int blockHeader = 4;
        var timestamp = UInt(ClusterTimestamp, (ulong)ptsNs);
        long blockSize = blockHeader + (long)_frameBytes;
        long clusterSize = timestamp.Length + IdLength(SimpleBlock) + 8 + blockSize;
        var h = new MemoryStream(_clusterHeader);
        WriteId(h, Cluster);
        WriteSize(h, clusterSize);
        h.Write(timestamp);
        WriteId(h, SimpleBlock);
        WriteSize(h, blockSize);
        h.Write(stackalloc byte[] { 0x81, 0, 0, 0x80 });
        _out.Write(_clusterHeader, 0, (int)h.Position);
        _out.Write(pixels);
    }

    private static readonly byte[] UnknownSize = { 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };

    private static int IdLength(uint id) => id > 0xFFFFFF ? 4 : id > 0xFFFF ? 3 : id > 0xFF ? 2 : 1;

    private static void WriteId(Stream s, uint id)
    {
        for (int i = IdLength(id) - 1; i >= 0; i--) s.WriteByte((byte)(id >> (8 * i)));
    }

    /// <summary>Sizes are always written in 8 bytes (marker 0x01 + 56 bits), which every reader accepts.</summary>
    private static void WriteSize(Stream s, long size)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(b, size);
        b[0] = 0x01;
        s.Write(b);
    }

    private static void WriteElement(Stream s, uint id, byte[] payload)
    {
        WriteId(s, id);
        WriteSize(s, payload.Length);
        s.Write(payload);
    }

    private static byte[] Element(uint id, byte[] payload)
    {
        var m = new MemoryStream();
        WriteElement(m, id, payload);
        return m.ToArray();
    }

    private static byte[] UInt(uint id, ulong value)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, value);
        return Element(id, b);
    }

    private static byte[] Text(uint id, string value) => Element(id, Encoding.ASCII.GetBytes(value));

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
