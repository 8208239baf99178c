namespace Brummer.Grains.Logs;

/// <summary>
/// The newest output lines of one process, bounded both by a line count and by the memory they hold, so a process
/// printing without end (or one endless line, see <see cref="OutputCapture"/>) never grows the node.
/// </summary>
/// <remarks>
/// <para>
/// Storage is two rings, not an object per line: the text of every line in one char array (each line contiguous; a
/// line that would cross the array's end starts again at its beginning) and a small fixed-size entry per line
/// (sequence, time, stream, where its text is). Appending a line allocates nothing, so a flooding process makes no
/// garbage, and the garbage collector never copies buffered lines from generation to generation: with a string per
/// line, a flood made every collection copy the whole buffer and paused the node's requests 11 % of the time.
/// Both arrays start small and double while the buffer fills, up to what <see cref="MaxLines"/> and
/// <see cref="MaxBytes"/> need; a quiet process never pays for the caps.
/// </para>
/// <para>
/// Writers (the stdout and stderr capture loops) take a short lock against each other. Readers take no lock: a line is
/// read (its entry and text copied), then checked still held — the writer moves <see cref="FirstSequence"/> past a
/// line before it reuses its entry or text, with a full fence between, so a reader that copied a line being
/// overwritten sees it evicted and drops it. A read is therefore a set of lines that all existed as read, never a
/// torn one. <see cref="Search"/> shows its filter the text in place, without copying; only matches are copied, and
/// checked.
/// </para>
/// <para>
/// Memory: <see cref="Bytes"/> ≤ <see cref="MaxBytes"/> (unless one line alone is larger: then only that line is
/// kept), counted as <see cref="LogLine.OverheadBytes"/> per line plus two bytes per char held; the arrays hold at
/// most that plus one line of slack at the wrap.
/// </para>
/// </remarks>
public sealed class LogBuffer
{
    /// <summary>Default of <see cref="MaxBytes"/>: 4 MiB, about 10,000 coloured lines of 80 characters.</summary>
    public const long DefaultMaxBytes = 4L * 1024 * 1024;

    private const int InitialEntries = 64;
    private const int InitialChars = 4096;

    private readonly Lock _writer = new();
    private readonly TimeProvider _time;
    private readonly int _maxChars;
    private Rings _rings;
    private long _next = 1;
    private long _first = 1;
    private long _bytes;
    private long _end; // where the next line's text goes, in chars since the char ring was last laid out
    private long _lastTicks = long.MinValue;

    /// <param name="maxLines">Lines kept at most (the newest).</param>
    /// <param name="maxBytes">Memory the kept lines may hold, counted as <see cref="LogLine.Bytes"/>.</param>
    /// <param name="time">Stamps appended lines; <see cref="TimeProvider.System"/> if null.</param>
    public LogBuffer(int maxLines, long maxBytes = DefaultMaxBytes, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLines, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, LogLine.OverheadBytes);
        MaxLines = maxLines;
        MaxBytes = maxBytes;
        _maxChars = (int)Math.Min(Array.MaxLength / 2, maxBytes / 2);
        _rings = new Rings(new Entry[Math.Min(InitialEntries, maxLines)], new char[Math.Max(1, Math.Min(InitialChars, _maxChars))]);
        _time = time ?? TimeProvider.System;
    }

    public int MaxLines { get; }

    public long MaxBytes { get; }

    /// <summary>Lines held now.</summary>
    public int Count => (int)(Volatile.Read(ref _next) - Volatile.Read(ref _first));

    /// <summary>Memory the held lines account for (sum of <see cref="LogLine.Bytes"/>).</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>The sequence number of the newest line ever appended; 0 before the first.</summary>
    public long LastSequence => Volatile.Read(ref _next) - 1;

    /// <summary>The sequence number of the oldest line still held (<see cref="LastSequence"/> + 1 when empty).</summary>
    public long FirstSequence => Volatile.Read(ref _first);

    /// <summary>Appends a line stamped now (convenience: strips colour codes and returns the line as stored).</summary>
    public LogLine Append(LogSource source, string text) => Append(source, text, (DateTimeOffset?)null);

    /// <summary>Appends a line stamped <paramref name="time"/> (raised to the previous line's time if earlier).</summary>
    public LogLine Append(LogSource source, string text, DateTimeOffset? time)
    {
        ArgumentNullException.ThrowIfNull(text);
        var searchText = AnsiEscapes.Strip(text);
        var (sequence, stamped) = Append(source, text, searchText, time);
        return new LogLine(sequence, stamped, source, text, searchText);
    }

    /// <summary>
    /// Appends a line without allocating: the capture path. <paramref name="searchText"/> is the text without escape
    /// codes (best the very same span when it has none); it is stored only when it differs.
    /// </summary>
    /// <returns>The line's sequence number and time stamp.</returns>
    public (long Sequence, DateTimeOffset Time) Append(LogSource source, ReadOnlySpan<char> text, ReadOnlySpan<char> searchText, DateTimeOffset? time = null)
    {
        var separate = !(text == searchText || text.SequenceEqual(searchText)); // == : the same memory, the common case
        var chars = text.Length + (separate ? searchText.Length : 0);
        var cost = LogLine.OverheadBytes + (2L * chars);
        lock (_writer)
        {
            var ticks = Math.Max((time ?? _time.GetUtcNow()).UtcTicks, _lastTicks); // ordered like sequences, so a scan can stop at 'since'
            _lastTicks = ticks;
            var sequence = _next;
            var first = _first;
            var rings = _rings;
            var bytes = _bytes + cost;
            while (first < sequence && (sequence - first >= MaxLines || bytes > MaxBytes))
            {
                bytes -= Cost(rings.EntryOf(first));
                first++;
            }

            // Room for the entry: the entry ring doubles until it holds MaxLines.
            var end = _end;
            if (sequence - first + 1 > rings.Entries.Length)
            {
                (rings, end) = Grow(rings, first, sequence, Math.Min(MaxLines, rings.Entries.Length * 2), rings.Chars.Length);
            }

            // Room for the text: contiguous, after the newest line or from the array's start; the char ring doubles
            // until it can hold MaxBytes worth, then the oldest lines make room.
            var start = Place(end, chars, rings.Chars.Length);
            while (first < sequence && start + chars - rings.EntryOf(first).Start > rings.Chars.Length)
            {
                if (rings.Chars.Length < _maxChars)
                {
                    (rings, end) = Grow(rings, first, sequence, rings.Entries.Length, (int)Math.Min(_maxChars, rings.Chars.Length * 2L));
                }
                else
                {
                    bytes -= Cost(rings.EntryOf(first));
                    first++;
                }

                start = Place(end, chars, rings.Chars.Length);
            }

            if (chars > rings.Chars.Length)
            {
                // One line larger than the cap: held alone, in an array of its own size.
                (rings, end) = Grow(rings, first, sequence, rings.Entries.Length, chars);
                start = Place(end, chars, rings.Chars.Length);
            }

            // Readers must see these lines evicted before their entries or text can change under them.
            Volatile.Write(ref _first, first);
            Interlocked.MemoryBarrier();
            var at = (int)(start % rings.Chars.Length);
            text.CopyTo(rings.Chars.AsSpan(at));
            if (separate)
            {
                searchText.CopyTo(rings.Chars.AsSpan(at + text.Length));
            }

            ref var entry = ref rings.EntryOf(sequence);
            entry.Start = start;
            entry.Offset = at;
            entry.TextLength = text.Length;
            entry.SearchLength = separate ? searchText.Length : -1;
            entry.Ticks = ticks;
            entry.Source = source;
            Volatile.Write(ref entry.Sequence, sequence);
            _end = start + chars;
            Volatile.Write(ref _rings, rings);
            Volatile.Write(ref _bytes, bytes);
            Volatile.Write(ref _next, sequence + 1); // publishes the line: readers read _next before anything else
            return (sequence, new DateTimeOffset(ticks, TimeSpan.Zero));
        }
    }

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
        // Past the end (up to long.MaxValue) means nothing yet; after + 1 must not wrap round to "everything".
        var from = after >= next ? next : Math.Max(after + 1, Volatile.Read(ref _first));
        var to = limit > 0 && from < next ? Math.Min(next, from + limit) : from;
        var lines = ReadRange(from, to);
        var continueAfter = lines.Length > 0 ? lines[^1].Sequence : Math.Max(after, to - 1);
        var missed = lines.Length > 0 ? Math.Max(0, lines[0].Sequence - after - 1) : Math.Max(0, to - 1 - after);
        return new LogSlice(lines, continueAfter, missed, continueAfter < next - 1, next - 1);
    }

    /// <summary>
    /// Copies one line's text without escape codes into <paramref name="scratch"/> (replaced by a larger array when too
    /// small): a reader that follows the buffer line by line, such as the OpenTelemetry export, allocates nothing per
    /// line. False when the line is no longer held (evicted, also while it was being copied) or not appended yet.
    /// </summary>
    public bool TryCopy(long sequence, ref char[] scratch, out CopiedLine line)
    {
        line = default;
        if (sequence >= Volatile.Read(ref _next))
        {
            return false;
        }

        var rings = Volatile.Read(ref _rings);
        var entry = rings.EntryOf(sequence);
        if (entry.Sequence != sequence || !rings.Holds(entry))
        {
            return false;
        }

        var text = rings.SearchTextOf(entry);
        if (scratch.Length < text.Length)
        {
            scratch = new char[Math.Max(text.Length, scratch.Length * 2)];
        }

        text.CopyTo(scratch);
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _first) > sequence)
        {
            return false;
        }

        line = new CopiedLine(sequence, entry.Ticks, entry.Source, text.Length);
        return true;
    }

    /// <summary>
    /// Scans from the newest line backwards and returns those <paramref name="match"/> accepts, newest first.
    /// Stops at <paramref name="limit"/> matches, at the first line older than <paramref name="since"/>, at the
    /// oldest held line, or after examining <paramref name="maxScanned"/> lines — the last one is reported as
    /// <see cref="LogMatches.CutShort"/>; continue with <paramref name="before"/> = <see cref="LogMatches.ContinueBefore"/>.
    /// </summary>
    /// <param name="match">Called on the scanning thread for each line, with its text in place (no copy); usually
    /// tests <see cref="LogLineRef.SearchText"/>. A line being evicted meanwhile may show it changing text; such a
    /// line is never returned. Its exceptions (e.g. a regex match timeout) propagate.</param>
    /// <param name="before">Only lines with a sequence number below this (to resume a scan); all lines if null.</param>
    public LogMatches Search(LogLineFilter match, int limit, int maxScanned, DateTimeOffset? since = null, long? before = null)
    {
        ArgumentNullException.ThrowIfNull(match);
        var next = Volatile.Read(ref _next);
        var rings = Volatile.Read(ref _rings);
        var sequence = (before is { } b ? Math.Min(b, next) : next) - 1;
        var lines = new List<LogLine>(Math.Clamp(limit, 0, 64));
        var scanned = 0;
        var cutShort = false;
        var continueBefore = sequence + 1;
        var bound = since?.UtcTicks;
        if (limit > 0)
        {
            for (; sequence >= 1; sequence--)
            {
                var entry = rings.EntryOf(sequence); // a copy: the writer may be reusing the slot
                if (entry.Sequence != sequence || !rings.Holds(entry) || (bound is { } ticks && entry.Ticks < ticks))
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
                if (match(new LogLineRef(sequence, entry.Ticks, entry.Source, rings.TextOf(entry), rings.SearchTextOf(entry))) &&
                    Read(sequence, rings) is { } line)
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

    private static long Cost(in Entry entry) =>
        LogLine.OverheadBytes + (2L * (entry.TextLength + Math.Max(0, entry.SearchLength)));

    /// <summary>Where a text of <paramref name="chars"/> starts: at <paramref name="end"/>, or at the next lap if it would cross the array's end.</summary>
    private static long Place(long end, int chars, int capacity)
    {
        var offset = end % capacity;
        return offset + chars <= capacity ? end : end - offset + capacity;
    }

    /// <summary>
    /// New arrays holding lines [<paramref name="first"/>, <paramref name="next"/>), their text laid out afresh from
    /// the new char array's start (the writer's lock is held); returns them and where the next text goes. Readers that
    /// still hold the old pair keep reading it: the writer never touches it again.
    /// </summary>
    private static (Rings Rings, long End) Grow(Rings old, long first, long next, int entries, int chars)
    {
        var grown = new Rings(new Entry[entries], new char[chars]);
        var end = 0L;
        for (var sequence = first; sequence < next; sequence++)
        {
            var entry = old.EntryOf(sequence);
            var length = entry.TextLength + Math.Max(0, entry.SearchLength);
            var start = Place(end, length, chars);
            var at = (int)(start % chars);
            old.Chars.AsSpan(entry.Offset, length).CopyTo(grown.Chars.AsSpan(at));
            entry.Start = start;
            entry.Offset = at;
            grown.EntryOf(sequence) = entry;
            end = start + length;
        }

        return (grown, end);
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

        var rings = Volatile.Read(ref _rings);
        var lines = new LogLine[to - from];
        var at = lines.Length;
        for (var sequence = to - 1; sequence >= from && Read(sequence, rings) is { } line; sequence--)
        {
            lines[--at] = line;
        }

        return at == 0 ? lines : lines[at..];
    }

    /// <summary>A copy of one line, or null if it is no longer held (checked after copying, see the remarks).</summary>
    private LogLine? Read(long sequence, Rings rings)
    {
        var entry = rings.EntryOf(sequence);
        if (entry.Sequence != sequence || !rings.Holds(entry))
        {
            return null;
        }

        var text = new string(rings.TextOf(entry));
        var searchText = entry.SearchLength < 0 ? text : new string(rings.SearchTextOf(entry));
        Interlocked.MemoryBarrier();
        return Volatile.Read(ref _first) <= sequence
            ? new LogLine(sequence, new DateTimeOffset(entry.Ticks, TimeSpan.Zero), entry.Source, text, searchText)
            : null;
    }

    /// <summary>One line's place: fixed size, so the entry ring is one array of structs the collector never traces.</summary>
    private struct Entry
    {
        public long Sequence;
        public long Start; // in chars since the char ring was laid out: the writer's eviction arithmetic
        public long Ticks;
        public int Offset; // Start within the char array: where readers find the text, without a division
        public int TextLength;
        public int SearchLength; // -1: the same as the text (no escape codes)
        public LogSource Source;
    }

    /// <summary>The two arrays, swapped together when they grow; readers keep the pair they read.</summary>
    private sealed class Rings(Entry[] entries, char[] chars)
    {
        public Entry[] Entries { get; } = entries;

        public char[] Chars { get; } = chars;

        public ref Entry EntryOf(long sequence) => ref Entries[(int)(sequence % Entries.Length)];

        /// <summary>False for an entry torn by a concurrent write, whose text would not even lie within the array.</summary>
        public bool Holds(in Entry entry) =>
            entry.Offset >= 0 && entry.TextLength >= 0 &&
            (long)entry.Offset + entry.TextLength + Math.Max(0, entry.SearchLength) <= Chars.Length;

        public ReadOnlySpan<char> TextOf(in Entry entry) => Chars.AsSpan(entry.Offset, entry.TextLength);

        public ReadOnlySpan<char> SearchTextOf(in Entry entry) =>
            entry.SearchLength < 0 ? TextOf(entry) : Chars.AsSpan(entry.Offset + entry.TextLength, entry.SearchLength);
    }
}

/// <summary>A line <see cref="LogBuffer.TryCopy"/> copied: its text is the first <paramref name="Length"/> chars of the scratch array.</summary>
public readonly record struct CopiedLine(long Sequence, long Ticks, LogSource Source, int Length)
{
    public DateTimeOffset Time => new(Ticks, TimeSpan.Zero);
}

/// <summary>Decides whether a line matches; the line's text is valid only during the call.</summary>
public delegate bool LogLineFilter(LogLineRef line);

/// <summary>A buffered line as <see cref="LogBuffer.Search"/> shows it to its filter: in place, not copied.</summary>
public readonly ref struct LogLineRef(long sequence, long ticks, LogSource source, ReadOnlySpan<char> text, ReadOnlySpan<char> searchText)
{
    public long Sequence { get; } = sequence;

    public DateTimeOffset Time => new(ticks, TimeSpan.Zero);

    public LogSource Source { get; } = source;

    /// <summary>As printed, escape codes kept.</summary>
    public ReadOnlySpan<char> Text { get; } = text;

    /// <summary>Without escape codes: what searches and detectors read.</summary>
    public ReadOnlySpan<char> SearchText { get; } = searchText;
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
