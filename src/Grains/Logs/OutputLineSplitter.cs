using System.Globalization;
using System.Text;

namespace Brummer.Grains.Logs;

/// <summary>
/// Cuts a byte stream into lines in constant memory: splits on <c>\n</c> and <c>\r\n</c>, decodes UTF-8 (invalid bytes
/// become U+FFFD, never an exception), and keeps at most <see cref="MaxLineBytes"/> bytes of any line. The rest of an
/// over-long line is counted, not stored, and the line ends with <c>… [truncated N bytes]</c>.
/// </summary>
/// <remarks>
/// Not thread-safe: one splitter per stream. Lines go to the sink on the thread that calls <see cref="Push"/>, as spans
/// of a scratch buffer that is reused for the next line: a sink that keeps a line copies it. Splitting allocates
/// nothing per line (truncated lines aside), so a flood of output makes no garbage here.
/// </remarks>
public sealed class OutputLineSplitter
{
    /// <summary>Default of <see cref="MaxLineBytes"/>: 16 KiB.</summary>
    public const int DefaultMaxLineBytes = 16 * 1024;

    private const byte LineFeed = (byte)'\n';
    private const byte CarriageReturn = (byte)'\r';

    [ThreadStatic]
    private static char[]? t_chars;

    private readonly LineSink _sink;
    private readonly Action? _truncated;
    private readonly byte[] _pending;
    private int _pendingLength;
    private long _dropped;
    private bool _droppedEndsWithCarriageReturn;

    /// <param name="maxLineBytes">Bytes of one line kept, at least 1 (UTF-8, without the line break).</param>
    /// <param name="sink">Receives each complete line.</param>
    /// <param name="truncated">Told of each line cut at the limit (for the node's metrics).</param>
    public OutputLineSplitter(int maxLineBytes, LineSink sink, Action? truncated = null)
    {
        _truncated = truncated;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 1);
        ArgumentNullException.ThrowIfNull(sink);
        _pending = new byte[maxLineBytes];
        _sink = sink;
    }

    public int MaxLineBytes => _pending.Length;

    /// <summary>The marker ending a line of which <paramref name="droppedBytes"/> were not kept.</summary>
    public static string TruncationMarker(long droppedBytes) =>
        string.Create(CultureInfo.InvariantCulture, $"… [truncated {droppedBytes} bytes]");

    /// <summary>Consumes a chunk of output, emitting every line it completes.</summary>
    public void Push(ReadOnlySpan<byte> chunk)
    {
        while (!chunk.IsEmpty)
        {
            var end = chunk.IndexOf(LineFeed);
            if (end < 0)
            {
                Hold(chunk);
                return;
            }

            var line = chunk[..end];
            if (_pendingLength == 0 && _dropped == 0 && line.Length <= _pending.Length)
            {
                // The common case: the whole line is in this chunk; decode it straight from there.
                _sink(Decode(line.Length > 0 && line[^1] == CarriageReturn ? line[..^1] : line));
            }
            else
            {
                Hold(line);
                EmitHeld(endsWithLineFeed: true);
            }

            chunk = chunk[(end + 1)..];
        }
    }

    /// <summary>Emits the last line if the stream ended without a line break.</summary>
    public void Complete()
    {
        if (_pendingLength > 0 || _dropped > 0)
        {
            EmitHeld(endsWithLineFeed: false);
        }
    }

    private void Hold(ReadOnlySpan<byte> part)
    {
        if (part.IsEmpty)
        {
            return;
        }

        var room = _pending.Length - _pendingLength;
        var kept = Math.Min(room, part.Length);
        part[..kept].CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += kept;
        if (kept < part.Length)
        {
            _dropped += part.Length - kept;
            _droppedEndsWithCarriageReturn = part[^1] == CarriageReturn;
        }
    }

    private void EmitHeld(bool endsWithLineFeed)
    {
        var length = _pendingLength;
        var dropped = _dropped;
        if (endsWithLineFeed)
        {
            // The \r of a \r\n belongs to the line break, wherever it ended up.
            if (dropped > 0 && _droppedEndsWithCarriageReturn)
            {
                dropped--;
            }
            else if (dropped == 0 && length > 0 && _pending[length - 1] == CarriageReturn)
            {
                length--;
            }
        }

        if (dropped > 0)
        {
            // Cut before a character whose bytes were split by the cap, so the kept part decodes cleanly.
            var cut = Utf8Boundary(_pending.AsSpan(0, length));
            dropped += length - cut;
            length = cut;
        }

        if (dropped > 0)
        {
            _truncated?.Invoke();
        }

        var marker = dropped > 0 ? TruncationMarker(dropped) : string.Empty;
        var chars = Scratch(length + marker.Length);
        var decoded = Encoding.UTF8.GetChars(_pending.AsSpan(0, length), chars);
        marker.CopyTo(chars.AsSpan(decoded));
        _pendingLength = 0;
        _dropped = 0;
        _droppedEndsWithCarriageReturn = false;
        _sink(chars.AsSpan(0, decoded + marker.Length));
    }

    /// <summary>The length of <paramref name="bytes"/> without a trailing incomplete UTF-8 sequence.</summary>
    private static int Utf8Boundary(ReadOnlySpan<byte> bytes)
    {
        for (var back = 1; back <= Math.Min(4, bytes.Length); back++)
        {
            var b = bytes[^back];
            if ((b & 0xC0) == 0x80)
            {
                continue; // continuation byte: look further back for its lead byte
            }

            var needed = b switch
            {
                < 0x80 => 1,
                >= 0xF0 => 4,
                >= 0xE0 => 3,
                >= 0xC0 => 2,
                _ => 1,
            };
            return needed > back ? bytes.Length - back : bytes.Length;
        }

        return bytes.Length;
    }

    /// <summary>UTF-8 (invalid bytes as U+FFFD) into the scratch buffer; never more chars than bytes.</summary>
    private static ReadOnlySpan<char> Decode(ReadOnlySpan<byte> bytes)
    {
        var chars = Scratch(bytes.Length);
        return chars.AsSpan(0, Encoding.UTF8.GetChars(bytes, chars));
    }

    /// <summary>This thread's scratch buffer for decoded lines, at least <paramref name="length"/> chars.</summary>
    private static char[] Scratch(int length)
    {
        var chars = t_chars;
        if (chars is null || chars.Length < length)
        {
            t_chars = chars = new char[Math.Max(length, 256)];
        }

        return chars;
    }
}

/// <summary>Receives one line; the span is valid only during the call.</summary>
public delegate void LineSink(ReadOnlySpan<char> line);
