using System.Buffers.Binary;
using System.Text;

namespace Brummer.Grains.Telemetry;

/// <summary>
/// Just enough of the protobuf wire format to write OTLP requests: varints, fixed64, strings, bytes and nested messages.
/// A nested message is written in place and its length prefix inserted when it ends (the content moves by the
/// prefix's 1–5 bytes), so no message is built twice and the whole request is one buffer.
/// </summary>
internal sealed class ProtoWriter
{
    private const int WireVarint = 0;
    private const int WireFixed64 = 1;
    private const int WireLength = 2;
    private const int WireFixed32 = 5;

    private byte[] _buffer;
    private int _length;

    public ProtoWriter(int capacity = 16 * 1024) => _buffer = new byte[capacity];

    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _length);

    public void Reset() => _length = 0;

    /// <summary>Starts a nested message in <paramref name="field"/>; pass the result to <see cref="EndMessage"/>.</summary>
    public int BeginMessage(int field)
    {
        Tag(field, WireLength);
        return _length;
    }

    public void EndMessage(int start)
    {
        var length = _length - start;
        var prefix = VarintSize((ulong)length);
        Ensure(prefix);
        Buffer.BlockCopy(_buffer, start, _buffer, start + prefix, length);
        _length = start;
        Varint((ulong)length);
        _length = start + prefix + length;
    }

    public void String(int field, string? value) => String(field, value.AsSpan());

    public void String(int field, ReadOnlySpan<char> value)
    {
        if (value.IsEmpty)
        {
            return;
        }

        var bytes = Encoding.UTF8.GetByteCount(value);
        Tag(field, WireLength);
        Varint((ulong)bytes);
        Ensure(bytes);
        _length += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length));
    }

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, WireLength);
        Varint((ulong)value.Length);
        Ensure(value.Length);
        value.CopyTo(_buffer.AsSpan(_length));
        _length += value.Length;
    }

    public void UInt64(int field, ulong value)
    {
        Tag(field, WireVarint);
        Varint(value);
    }

    public void Int64(int field, long value) => UInt64(field, unchecked((ulong)value));

    public void Bool(int field, bool value) => UInt64(field, value ? 1UL : 0UL);

    public void Fixed64(int field, ulong value)
    {
        Tag(field, WireFixed64);
        Ensure(8);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    public void Fixed32(int field, uint value)
    {
        Tag(field, WireFixed32);
        Ensure(4);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    private void Tag(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

    private void Varint(ulong value)
    {
        Ensure(10);
        while (value >= 0x80)
        {
            _buffer[_length++] = (byte)(value | 0x80);
            value >>= 7;
        }

        _buffer[_length++] = (byte)value;
    }

    private static int VarintSize(ulong value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    private void Ensure(int more)
    {
        if (_length + more > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + more));
        }
    }
}
