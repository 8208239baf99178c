using Brummer.Grains.Logs;

namespace Brummer.Benchmarks;

/// <summary>
/// The log buffer as it was before bounded ingestion (commit 2dd41dc): a ring of line records behind one lock, bounded
/// by line count only, no stripped text. Kept as the "before" of <see cref="LogIngestionBenchmarks"/>.
/// </summary>
internal sealed class LockedLogBuffer(int capacity)
{
    private readonly PreviousLogLine[] _ring = new PreviousLogLine[capacity];
    private readonly Lock _gate = new();
    private long _next = 1;

    public PreviousLogLine Append(LogSource stream, string text, DateTimeOffset time)
    {
        lock (_gate)
        {
            var line = new PreviousLogLine(_next++, time, stream, text);
            _ring[(int)((line.Sequence - 1) % _ring.Length)] = line;
            return line;
        }
    }
}

/// <summary>The line record of that commit.</summary>
internal sealed record PreviousLogLine(long Sequence, DateTimeOffset Time, LogSource Source, string Text);
