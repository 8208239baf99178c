namespace Brummer.Grains.Logs;

/// <summary>
/// The newest output lines of one process, bounded both by a line count and by the memory they hold, so a process
/// printing without end (or one endless line, see <see cref="OutputCapture"/>) never grows the node.
/// </summary>
/// <remarks>
/// <para>
/// Writers (the stdout and stderr capture loops) take a short lock against each other. Readers take no lock: every
/// slot of the ring holds an immutable <see cref="LogLine"/> that carries its own sequence number, so a reader that
/// meets a slot already overwritten (or cleared) by the writer knows that line was evicted, and skips it. A read is
/// therefore a consistent set of lines that existed at the moment it was read, never a torn one.
/// </para>
/// <para>
/// Memory: <see cref="Bytes"/> ≤ <see cref="MaxBytes"/> (unless one line alone is larger: then only that line is
/// kept), plus a constant ring of <see cref="MaxLines"/> references. Evicted lines are unreferenced at once.
/// </para>
/// </remarks>
public sealed class LogBuffer
{
    /// <summary>Default of <see cref="MaxBytes"/>: 4 MiB, about 10,000 coloured lines of 80 characters.</summary>
    public const long DefaultMaxBytes = 4L * 1024 * 1024;

    private readonly LogLine?[] _ring;
    private readonly Lock _writer = new();
    private readonly TimeProvider _time;
    private long _next = 1;
    private long _first = 1;
    private long _bytes;
    private DateTimeOffset _lastTime = DateTimeOffset.MinValue;

    /// <param name="maxLines">Lines kept at most (the newest).</param>
    /// <param name="maxBytes">Memory the kept lines may hold, counted as <see cref="LogLine.Bytes"/>.</param>
    /// <param name="time">Stamps appended lines; <see cref="TimeProvider.System"/> if null.</param>
    public LogBuffer(int maxLines, long maxBytes = DefaultMaxBytes, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLines, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, LogLine.OverheadBytes);
        _ring = new LogLine?[maxLines];
        MaxBytes = maxBytes;
        _time = time ?? TimeProvider.System;
    }

    public int MaxLines => _ring.Length;

    public long MaxBytes { get; }

    /// <summary>Lines held now.</summary>
    public int Count => (int)(Volatile.Read(ref _next) - Volatile.Read(ref _first));

    /// <summary>Memory the held lines account for (sum of <see cref="LogLine.Bytes"/>).</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>The sequence number of the newest line ever appended; 0 before the first.</summary>
    public long LastSequence => Volatile.Read(ref _next) - 1;

    /// <summary>The sequence number of the oldest line still held (<see cref="LastSequence"/> + 1 when empty).</summary>
    public long FirstSequence => Volatile.Read(ref _first);

    /// <summary>Appends a line stamped now; called by the capture loops.</summary>
    public LogLine Append(LogSource source, string text) => AppendCore(source, text, null);

    /// <summary>Appends a line stamped <paramref name="time"/> (raised to the previous line's time if earlier).</summary>
    public LogLine Append(LogSource source, string text, DateTimeOffset time) => AppendCore(source, text, time);

    /// <summary>The last <paramref name="max"/> lines (all by default), oldest first.</summary>
    public IReadOnlyList<LogLine> Tail(int max = int.MaxValue)
    {
        if (max <= 0)
        {
            return [];
        }

        var next = Volatile.Read(ref _next);
        return ReadRange(Math.Max(Volatile.Read(ref _first), next - max), next);
    }

    /// <summary>
    /// The lines after <paramref name="sequence"/>, oldest first, at most <paramref name="limit"/> — for following a
    /// process: start from 0 (or a tail's last sequence) and pass <see cref="LogSlice.ContinueAfter"/> next time.
    /// </summary>
    public LogSlice After(long sequence, int limit)
    {
        var next = Volatile.Read(ref _next);
        var after = Math.Max(sequence, 0);
        var from = Math.Max(after + 1, Volatile.Read(ref _first));
        var to = limit > 0 && from < next ? Math.Min(next, from + limit) : from;
        var lines = ReadRange(from, to);
        var continueAfter = lines.Length > 0 ? lines[^1].Sequence : Math.Max(after, to - 1);
        var missed = Math.Max(0, (lines.Length > 0 ? lines[0].Sequence : continueAfter + 1) - (after + 1));
        return new LogSlice(lines, continueAfter, missed, continueAfter + 1 < next, next - 1);
    }

    /// <summary>
    /// Scans from the newest line backwards and returns those <paramref name="match"/> accepts, newest first.
    /// Stops at <paramref name="limit"/> matches, at the first line older than <paramref name="since"/>, at the
    /// oldest held line, or after examining <paramref name="maxScanned"/> lines — the last one is reported as
    /// <see cref="LogMatches.CutShort"/>; continue with <paramref name="before"/> = <see cref="LogMatches.ContinueBefore"/>.
    /// </summary>
    /// <param name="match">Called on the scanning thread for each line; usually tests <see cref="LogLine.SearchText"/>.
    /// Its exceptions (e.g. a regex match timeout) propagate.</param>
    /// <param name="before">Only lines with a sequence number below this (to resume a scan); all lines if null.</param>
    public LogMatches Search(Func<LogLine, bool> match, int limit, int maxScanned, DateTimeOffset? since = null, long? before = null)
    {
        ArgumentNullException.ThrowIfNull(match);
        var next = Volatile.Read(ref _next);
        var sequence = (before is { } b ? Math.Min(b, next) : next) - 1;
        var lines = new List<LogLine>(Math.Clamp(limit, 0, 64));
        var scanned = 0;
        var cutShort = false;
        var continueBefore = sequence + 1;
        if (limit > 0)
        {
            for (; sequence >= 1; sequence--)
            {
                if (Read(sequence) is not { } line || (since is { } bound && line.Time < bound))
                {
                    break; // evicted (so is everything older) or older than asked for
                }

                if (scanned >= maxScanned)
                {
                    cutShort = true;
                    break;
                }

                scanned++;
                continueBefore = sequence;
                if (match(line))
                {
                    lines.Add(line);
                    if (lines.Count >= limit)
                    {
                        break;
                    }
                }
            }
        }

        return new LogMatches(lines, cutShort, scanned, continueBefore, next - 1);
    }

    private LogLine AppendCore(LogSource source, string text, DateTimeOffset? time)
    {
        ArgumentNullException.ThrowIfNull(text);
        var searchText = AnsiEscapes.Strip(text); // outside the lock: the other stream's writer need not wait for it
        var cost = LogLine.CostOf(text, searchText);
        lock (_writer)
        {
            var now = time ?? _time.GetUtcNow();
            if (now < _lastTime)
            {
                now = _lastTime; // keeps times ordered like sequences, so a scan can stop at its 'since' bound
            }

            _lastTime = now;
            var sequence = _next;
            var line = new LogLine(sequence, now, source, text, searchText);
            var first = _first;
            var bytes = _bytes + cost;
            while (first < sequence && (sequence - first >= _ring.Length || bytes > MaxBytes))
            {
                ref var slot = ref _ring[Index(first)];
                bytes -= slot!.Bytes;
                Volatile.Write(ref slot, null);
                first++;
            }

            Volatile.Write(ref _first, first);
            Volatile.Write(ref _ring[Index(sequence)], line);
            Volatile.Write(ref _bytes, bytes);
            Volatile.Write(ref _next, sequence + 1); // publishes the line: readers read _next before any slot
            return line;
        }
    }

    /// <summary>
    /// The lines [<paramref name="from"/>, <paramref name="to"/>) still held, oldest first. Read newest first, because
    /// the writer evicts oldest first: the first line found gone means every older one is gone too, so the result is
    /// always contiguous (reading forwards, eviction could overtake the reader and leave a hole).
    /// </summary>
    private LogLine[] ReadRange(long from, long to)
    {
        if (to <= from)
        {
            return [];
        }

        var lines = new LogLine[to - from];
        var at = lines.Length;
        for (var sequence = to - 1; sequence >= from && Read(sequence) is { } line; sequence--)
        {
            lines[--at] = line;
        }

        return at == 0 ? lines : lines[at..];
    }

    private LogLine? Read(long sequence) =>
        Volatile.Read(ref _ring[Index(sequence)]) is { } line && line.Sequence == sequence ? line : null;

    private int Index(long sequence) => (int)(sequence % _ring.Length);
}

/// <summary>Lines read after a sequence number (<see cref="LogBuffer.After"/>), oldest first.</summary>
/// <param name="Lines">The lines, oldest first.</param>
/// <param name="ContinueAfter">The sequence number to pass next time: the last returned line's, or the one asked
/// for when nothing newer exists.</param>
/// <param name="Missed">Lines after the asked-for sequence that were evicted before they could be read (the reader
/// fell behind by more than the buffer holds).</param>
/// <param name="HasMore">More lines are already buffered after <paramref name="ContinueAfter"/> (the limit was reached).</param>
/// <param name="LastSequence">The newest sequence number in the buffer when read (0 if none yet); below the asked-for
/// sequence only if the caller's numbering came from another buffer (e.g. before the node restarted).</param>
public sealed record LogSlice(IReadOnlyList<LogLine> Lines, long ContinueAfter, long Missed, bool HasMore, long LastSequence);

/// <summary>The result of <see cref="LogBuffer.Search"/>.</summary>
/// <param name="Lines">Matching lines, newest first.</param>
/// <param name="CutShort">The scan stopped at its work bound before reaching the oldest line or the 'since' bound:
/// older matches may exist.</param>
/// <param name="Scanned">Lines examined.</param>
/// <param name="ContinueBefore">Pass as 'before' to scan on from where this scan stopped.</param>
/// <param name="LastSequence">The newest sequence number in the buffer when the scan began (0 if none yet).</param>
public sealed record LogMatches(IReadOnlyList<LogLine> Lines, bool CutShort, int Scanned, long ContinueBefore, long LastSequence);
