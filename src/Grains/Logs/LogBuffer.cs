namespace Brummer.Grains.Logs;

/// <summary>
/// The last <c>capacity</c> output lines of one process: a fixed ring, so memory stays bounded however much it prints.
/// Appends come from the output pipe threads; reads copy out under the same short lock.
/// </summary>
public sealed class LogBuffer
{
    private readonly LogLine[] _ring;
    private readonly Lock _gate = new();
    private long _next = 1;
    private int _count;

    public LogBuffer(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new LogLine[capacity];
    }

    public int Capacity => _ring.Length;

    public LogLine Append(LogSource stream, string text, DateTimeOffset time)
    {
        lock (_gate)
        {
            var line = new LogLine(_next++, time, stream, text);
            _ring[(int)((line.Sequence - 1) % _ring.Length)] = line;
            _count = Math.Min(_count + 1, _ring.Length);
            return line;
        }
    }

    /// <summary>The buffered lines, oldest first, optionally only the last <paramref name="max"/>.</summary>
    public IReadOnlyList<LogLine> Tail(int max = int.MaxValue)
    {
        lock (_gate)
        {
            var take = Math.Min(max, _count);
            var result = new LogLine[take];
            var first = _next - take;
            for (var i = 0; i < take; i++)
            {
                result[i] = _ring[(int)((first + i - 1) % _ring.Length)];
            }

            return result;
        }
    }
}
