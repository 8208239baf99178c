using System.Net;
using System.Text.RegularExpressions;

namespace Brummer.Grains.Logs.Detection;

/// <summary>
/// Reads one process's output lines as they arrive and keeps what an agent asks for first: the errors it printed,
/// grouped with their whole multi-line blocks and counted when they repeat, and the URLs it announced.
/// <para>
/// Feed every line, in order, with <see cref="Observe"/> (the stdout and stderr threads may both call it) and call
/// <see cref="Complete"/> when the process exits. Blocks are followed per stream: a stack trace on stderr is not
/// broken by stdout lines printed in between (and a block never spans both streams). Where blocks start and end is
/// decided by the lines alone (see <see cref="LogDetector"/>), never by time: a pause inside a trace does not cut it,
/// and two different errors printed in the same millisecond are two groups.
/// </para>
/// <para>
/// Memory is bounded whatever the process prints: per stream at most one open block and one undecided start (a few
/// lines), at most <see cref="LogAnalyzerOptions.MaxErrorGroups"/> groups within
/// <see cref="LogAnalyzerOptions.MaxStoredChars"/>, blocks cut to <see cref="LogAnalyzerOptions.MaxBlockLines"/>,
/// lines to <see cref="LogAnalyzerOptions.MaxLineLength"/>, URLs to <see cref="LogAnalyzerOptions.MaxUrls"/>.
/// Every pattern runs with a match timeout; a line that times out counts as not matching
/// (<see cref="RegexTimeouts"/>).
/// </para>
/// <para>
/// URLs come from lines outside error blocks, once per origin (scheme, host, port): the first URL printed for an
/// origin is kept, so a server's announcement is not crowded out by the request URLs it logs later.
/// </para>
/// </summary>
public sealed class LogAnalyzer
{
    private const int MaxTitleLength = 500;

    private readonly DetectorTable _table;
    private readonly LogAnalyzerOptions _options;
    private readonly Lock _gate = new();
    private readonly Dictionary<LogSource, StreamState> _streams = [];
    private readonly List<GroupEntry> _groups = [];
    private readonly Dictionary<string, GroupEntry> _groupsByIdentity = new(StringComparer.Ordinal);
    private readonly HashSet<string> _urlOrigins = new(StringComparer.Ordinal);
    private DetectedUrl[] _urls = [];
    private long _storedChars;
    private int _errorCount;
    private int _run; // the run whose lines are being read (ProcessOutput numbers them; 0 before the first)
    private int _runErrorCount;
    private long _droppedGroups;
    private long _droppedUrls;
    private long _regexTimeouts;
    private int _stdoutBusy; // 1 while the stream has a block or a candidate in progress (see Wants)
    private int _stderrBusy;

    public LogAnalyzer(DetectorTable? table = null, LogAnalyzerOptions? options = null)
    {
        _table = table ?? DetectorTable.Default;
        _options = options ?? LogAnalyzerOptions.Default;
        _options.Validate();
    }

    /// <summary>
    /// Raised when a block ends (repeats included) with the whole block; under the analyzer's lock, so a handler only
    /// hands it on.
    /// </summary>
    public event Action<ErrorGroup>? BlockClosed;

    /// <summary>
    /// Raised as soon as a block is recognised (its detector and first line), before it ends: what counts an error can
    /// count it at once, while <see cref="BlockClosed"/> waits for the whole block. Under the analyzer's lock.
    /// </summary>
    public event Action<string, LogLineView>? BlockRecognised;

    /// <summary>Errors seen so far, repeats included, counted as soon as a block is recognised.</summary>
    public int ErrorCount => Volatile.Read(ref _errorCount);

    /// <summary>Errors seen in the current run (<see cref="BeginRun"/>), repeats included: what status shows.</summary>
    public int RunErrorCount => Volatile.Read(ref _runErrorCount);

    /// <summary>The run the lines now read belong to.</summary>
    public int Run => Volatile.Read(ref _run);

    /// <summary>
    /// The lines that follow belong to run <paramref name="run"/>: the previous run's blocks are closed, and its errors
    /// are grouped apart from the new run's, so an error a fix removed is not reported against the run after it.
    /// </summary>
    public void BeginRun(int run)
    {
        lock (_gate)
        {
            CompleteCore();
            Volatile.Write(ref _run, run);
            Volatile.Write(ref _runErrorCount, 0);
        }
    }

    /// <summary>Groups evicted to stay within the bounds.</summary>
    public long DroppedGroups => Interlocked.Read(ref _droppedGroups);

    /// <summary>URL origins not kept because <see cref="LogAnalyzerOptions.MaxUrls"/> were already.</summary>
    public long DroppedUrls => Interlocked.Read(ref _droppedUrls);

    /// <summary>Pattern matches that hit their timeout (and were taken as no match).</summary>
    public long RegexTimeouts => Interlocked.Read(ref _regexTimeouts);

    /// <summary>URLs printed so far, in the order first seen; an immutable snapshot, read without locking.</summary>
    public IReadOnlyList<DetectedUrl> Urls => Volatile.Read(ref _urls);

    /// <summary>
    /// The error groups, first occurrence first; a block still open (the process may print more of it) is included
    /// with <see cref="ErrorGroup.Complete"/> false. A snapshot: later lines do not change it.
    /// </summary>
    public IReadOnlyList<ErrorGroup> Errors
    {
        get
        {
            lock (_gate)
            {
                Dictionary<GroupEntry, Block>? repeating = null;
                List<ErrorGroup>? opened = null;
                foreach (var stream in _streams.Values)
                {
                    if (stream.Open is not { } block)
                    {
                        continue;
                    }

                    var title = block.TitleOrStart(MaxTitleLength);
                    if (_groupsByIdentity.TryGetValue(Key(block.Run, ErrorIdentity.Of(block.Detector, title)), out var entry))
                    {
                        (repeating ??= [])[entry] = block;
                    }
                    else
                    {
                        (opened ??= []).Add(block.ToGroup(title));
                    }
                }

                var result = new List<ErrorGroup>(_groups.Count + (opened?.Count ?? 0));
                foreach (var entry in _groups)
                {
                    result.Add(repeating is not null && repeating.TryGetValue(entry, out var again)
                        ? entry.ToGroup() with
                        {
                            Count = entry.Count + 1,
                            LastSequence = again.FirstSequence,
                            LastTime = again.FirstTime,
                            Complete = false,
                        }
                        : entry.ToGroup());
                }

                if (opened is not null)
                {
                    result.AddRange(opened);
                }

                result.Sort((a, b) => a.FirstSequence.CompareTo(b.FirstSequence));
                return result;
            }
        }
    }

    /// <summary>
    /// False when <see cref="Observe"/> would do nothing with this line: its stream has no block or candidate in
    /// progress, and the line carries none of the detectors' hints. The capture path asks first, so the ordinary
    /// lines of a flood are never turned into strings. Call it from the thread that observes that stream.
    /// </summary>
    public bool Wants(LogSource stream, ReadOnlySpan<char> text)
    {
        if (Volatile.Read(ref stream == LogSource.Stderr ? ref _stderrBusy : ref _stdoutBusy) != 0 ||
            _table.AnyErrorHint is null || text.ContainsAny(_table.AnyErrorHint))
        {
            return true;
        }

        var urls = _table.UrlStarts;
        for (var i = 0; i < urls.Count; i++) // not foreach: that would box an enumerator per line
        {
            if (urls[i].MayStart(text))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Reads the next line of the process's output (text ANSI-stripped, see <see cref="LogLineView"/>).</summary>
    public void Observe(LogLineView line)
    {
        var text = line.Text ?? string.Empty;
        if (text.EndsWith('\r'))
        {
            text = text[..^1];
        }

        if (text.Length > _options.MaxLineLength)
        {
            text = string.Concat(text.AsSpan(0, _options.MaxLineLength), "…");
        }

        lock (_gate)
        {
            var stream = StateOf(line.Stream);
            Step(stream, new Line(line.Sequence, line.Time, text));
            MarkBusy(stream);
        }
    }

    /// <summary>The process has exited (or its output ended): open blocks are closed and recorded.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            CompleteCore();
        }
    }

    private void CompleteCore()
    {
        foreach (var stream in _streams.Values)
        {
            while (stream.Pending is { } pending)
            {
                // No more lines will come: a candidate still waiting for confirm lines cannot be one.
                pending.Candidates.RemoveAll(d => pending.Lines.Count < 1 + d.Confirm.Count);
                Resolve(stream);
            }

            if (stream.Open is not null)
            {
                Close(stream);
            }

            MarkBusy(stream);
        }
    }

    private void MarkBusy(StreamState stream) =>
        Volatile.Write(
            ref stream.Stream == LogSource.Stderr ? ref _stderrBusy : ref _stdoutBusy,
            stream.Pending is not null || stream.Open is not null ? 1 : 0);

    private StreamState StateOf(LogSource stream)
    {
        if (!_streams.TryGetValue(stream, out var state))
        {
            state = new StreamState(stream);
            _streams.Add(stream, state);
        }

        return state;
    }

    private void Step(StreamState stream, Line line)
    {
        if (stream.Pending is { } pending)
        {
            pending.Lines.Add(line);
            var index = pending.Lines.Count - 2;
            pending.Candidates.RemoveAll(d => index < d.Confirm.Count && !IsMatch(d.Confirm[index], line.Text));
            Resolve(stream);
            return;
        }

        if (stream.Open is not null && Continue(stream, line))
        {
            return;
        }

        Fresh(stream, line);
    }

    /// <summary>A line no block claims: the start of a candidate block, or a line to scan for URLs.</summary>
    private void Fresh(StreamState stream, Line line)
    {
        if (string.IsNullOrWhiteSpace(line.Text))
        {
            return;
        }

        Pending? pending = null;
        if (_table.AnyErrorHint is null || line.Text.AsSpan().ContainsAny(_table.AnyErrorHint))
        {
            foreach (var start in _table.ErrorStarts)
            {
                if (start.MayStart(line.Text) && IsMatch(start.Detector.Start, line.Text))
                {
                    pending ??= new Pending();
                    pending.Candidates.Add(start.Detector);
                }
            }
        }

        if (pending is null)
        {
            ScanUrls(stream.Stream, line);
            return;
        }

        pending.Lines.Add(line);
        stream.Pending = pending;
        Resolve(stream);
    }

    /// <summary>
    /// The first candidate in table order whose confirm lines have all arrived opens the block; lines read past its
    /// confirm lines are read again as the block's next lines. With no candidate left, the start line was an ordinary
    /// line and the lines after it are read afresh.
    /// </summary>
    private void Resolve(StreamState stream)
    {
        var pending = stream.Pending!;
        if (pending.Candidates.Count == 0)
        {
            stream.Pending = null;
            ScanUrls(stream.Stream, pending.Lines[0]);
            for (var i = 1; i < pending.Lines.Count; i++)
            {
                Step(stream, pending.Lines[i]);
            }

            return;
        }

        var detector = pending.Candidates[0];
        var needed = 1 + detector.Confirm.Count;
        if (pending.Lines.Count < needed)
        {
            return;
        }

        stream.Pending = null;
        var block = new Block(detector, stream.Stream, pending.Lines[0], _options) { Run = _run };
        for (var i = 1; i < needed; i++)
        {
            block.Append(pending.Lines[i].Text, isEnd: false);
        }

        stream.Open = block;
        Interlocked.Increment(ref _errorCount);
        Interlocked.Increment(ref _runErrorCount);
        BlockRecognised?.Invoke(detector.Id, new LogLineView(pending.Lines[0].Sequence, pending.Lines[0].Time, stream.Stream, pending.Lines[0].Text));
        if (block.LineCount >= detector.MaxLines)
        {
            Close(stream);
        }

        for (var i = needed; i < pending.Lines.Count; i++)
        {
            Step(stream, pending.Lines[i]);
        }
    }

    /// <summary>Offers a line to the stream's open block: true if it took it; otherwise the block is closed.</summary>
    private bool Continue(StreamState stream, Line line)
    {
        var block = stream.Open!;
        var detector = block.Detector;
        if (string.IsNullOrWhiteSpace(line.Text))
        {
            var mayHold = block.Ended ? detector.Chain is not null : detector.AfterBlank is not null;
            if (mayHold && block.HeldBlanks.Count < detector.MaxBlankLines)
            {
                block.HeldBlanks.Add(line.Text);
            }
            else
            {
                Close(stream);
            }

            return true;
        }

        if (block.Ended)
        {
            if (detector.Chain is not null && IsMatch(detector.Chain, line.Text))
            {
                block.Ended = false;
                Take(stream, line, isEnd: false);
                return true;
            }

            Close(stream);
            return false;
        }

        var afterBlank = block.HeldBlanks.Count > 0;
        if (afterBlank && (detector.AfterBlank is null || !IsMatch(detector.AfterBlank, line.Text)))
        {
            Close(stream);
            return false;
        }

        var isEnd = detector.End is not null && IsMatch(detector.End, line.Text);
        if (!isEnd && !afterBlank && (detector.Body is null || !IsMatch(detector.Body, line.Text)))
        {
            Close(stream);
            return false;
        }

        Take(stream, line, isEnd);
        return true;
    }

    private void Take(StreamState stream, Line line, bool isEnd)
    {
        var block = stream.Open!;
        foreach (var blank in block.HeldBlanks)
        {
            block.Append(blank, isEnd: false);
        }

        block.HeldBlanks.Clear();
        block.Append(line.Text, isEnd);
        if (isEnd)
        {
            if (block.Detector.Chain is null)
            {
                Close(stream);
                return;
            }

            block.Ended = true;
        }

        if (block.LineCount >= block.Detector.MaxLines)
        {
            Close(stream);
        }
    }

    private void Close(StreamState stream)
    {
        var block = stream.Open!;
        stream.Open = null;
        var title = block.TitleOrStart(MaxTitleLength);
        BlockClosed?.Invoke(block.ToGroup(title) with { Complete = true });
        var identity = Key(block.Run, ErrorIdentity.Of(block.Detector, title));
        if (_groupsByIdentity.TryGetValue(identity, out var entry))
        {
            entry.Count++;
            entry.LastSequence = block.FirstSequence;
            entry.LastTime = block.FirstTime;
            return;
        }

        entry = new GroupEntry(block.ToGroup(title), block.StoredChars);
        _groups.Add(entry);
        _groupsByIdentity.Add(identity, entry);
        entry.Identity = identity;
        _storedChars += entry.StoredChars;
        while (_groups.Count > 1 && (_groups.Count > _options.MaxErrorGroups || _storedChars > _options.MaxStoredChars))
        {
            Evict();
        }
    }

    /// <summary>
    /// Drops the least recently seen group, never the current run's first one (the first error is what is asked for
    /// most); older runs' groups, seen longest ago, go first.
    /// </summary>
    private void Evict()
    {
        var kept = Math.Max(0, _groups.FindIndex(g => g.Run == _run));
        var victim = -1;
        for (var i = 0; i < _groups.Count; i++)
        {
            if (i != kept && (victim < 0 || _groups[i].LastSequence < _groups[victim].LastSequence))
            {
                victim = i;
            }
        }

        var entry = _groups[victim];
        _groups.RemoveAt(victim);
        _groupsByIdentity.Remove(entry.Identity);
        _storedChars -= entry.StoredChars;
        Interlocked.Increment(ref _droppedGroups);
    }

    private void ScanUrls(LogSource stream, Line line)
    {
        foreach (var start in _table.UrlStarts)
        {
            if (!start.MayStart(line.Text))
            {
                continue;
            }

            try
            {
                foreach (var match in start.Detector.Start.EnumerateMatches(line.Text))
                {
                    AddUrl(stream, line, line.Text.Substring(match.Index, match.Length));
                }
            }
            catch (RegexMatchTimeoutException)
            {
                Interlocked.Increment(ref _regexTimeouts);
            }
        }
    }

    private void AddUrl(LogSource stream, Line line, string found)
    {
        var printed = TrimTrailingPunctuation(found);
        if (!Uri.TryCreate(printed, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.Host.Length == 0)
        {
            return;
        }

        var unspecified = IPAddress.TryParse(uri.DnsSafeHost, out var address)
            && (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any));
        var host = unspecified ? _options.ReachableHost : uri.Host;
        var origin = string.Concat(uri.Scheme, "://", host.ToUpperInvariant(), ":", uri.Port.ToString());
        if (_urlOrigins.Contains(origin))
        {
            return;
        }

        if (_urlOrigins.Count >= _options.MaxUrls)
        {
            Interlocked.Increment(ref _droppedUrls);
            return;
        }

        _urlOrigins.Add(origin);
        var url = unspecified ? ReplaceHost(printed, _options.ReachableHost) : printed;
        Volatile.Write(ref _urls, [.. _urls, new DetectedUrl(url, printed, stream, line.Sequence, line.Time)]);
    }

    /// <summary>"http://localhost:3000/." and "(see http://x/a)" end a sentence, not the URL.</summary>
    private static string TrimTrailingPunctuation(string url)
    {
        var end = url.Length;
        while (end > 0)
        {
            var c = url[end - 1];
            var trim = c switch
            {
                '.' or ',' or ';' or ':' or '!' or '?' or '*' => true,
                ')' => Count(url, '(', end) < Count(url, ')', end),
                _ => false,
            };
            if (!trim)
            {
                break;
            }

            end--;
        }

        return url[..end];

        static int Count(string text, char c, int end) => text.AsSpan(0, end).Count(c);
    }

    /// <summary>The URL with the host of its authority (after any user info, before the port) replaced.</summary>
    private static string ReplaceHost(string url, string host)
    {
        var start = url.IndexOf("://", StringComparison.Ordinal) + 3;
        var authorityEnd = url.IndexOfAny(['/', '?', '#'], start);
        if (authorityEnd < 0)
        {
            authorityEnd = url.Length;
        }

        var at = url.LastIndexOf('@', authorityEnd - 1, authorityEnd - start);
        var hostStart = at < 0 ? start : at + 1;
        int hostEnd;
        if (hostStart < authorityEnd && url[hostStart] == '[')
        {
            hostEnd = url.IndexOf(']', hostStart, authorityEnd - hostStart) + 1;
        }
        else
        {
            var colon = url.IndexOf(':', hostStart, authorityEnd - hostStart);
            hostEnd = colon < 0 ? authorityEnd : colon;
        }

        return hostEnd <= hostStart ? url : string.Concat(url.AsSpan(0, hostStart), host, url.AsSpan(hostEnd));
    }

    /// <summary>Groups are per run: the same error in two runs is two groups, each counted in its run.</summary>
    private static string Key(int run, string identity) => string.Concat(run.ToString(System.Globalization.CultureInfo.InvariantCulture), "\u0000", identity);

    private bool IsMatch(Regex pattern, string text)
    {
        try
        {
            return pattern.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            Interlocked.Increment(ref _regexTimeouts);
            return false;
        }
    }

    private readonly record struct Line(long Sequence, DateTimeOffset Time, string Text);

    private sealed class StreamState(LogSource stream)
    {
        public LogSource Stream { get; } = stream;

        /// <summary>A start line (and the lines after it) waiting for the candidates' confirm lines.</summary>
        public Pending? Pending { get; set; }

        public Block? Open { get; set; }
    }

    private sealed class Pending
    {
        /// <summary>Detectors whose start matched and whose confirm lines matched so far, in table order.</summary>
        public List<LogDetector> Candidates { get; } = [];

        public List<Line> Lines { get; } = [];
    }

    /// <summary>A block being read: the first lines and a ring of the last ones, so a long trace stays bounded.</summary>
    private sealed class Block
    {
        private readonly List<string> _head = [];
        private readonly Queue<string> _tail = new();
        private readonly int _headCapacity;
        private readonly int _tailCapacity;
        private readonly string _start;
        private string? _title;
        private int _omitted;

        public Block(LogDetector detector, LogSource stream, Line start, LogAnalyzerOptions options)
        {
            Detector = detector;
            Stream = stream;
            FirstSequence = start.Sequence;
            FirstTime = start.Time;
            _headCapacity = options.MaxBlockLines - options.BlockTailLines;
            _tailCapacity = options.BlockTailLines;
            _start = start.Text;
            Append(start.Text, isEnd: false);
        }

        public LogDetector Detector { get; }

        public LogSource Stream { get; }

        /// <summary>The run that printed it.</summary>
        public int Run { get; init; }

        public long FirstSequence { get; }

        public DateTimeOffset FirstTime { get; }

        public int LineCount { get; private set; }

        public int StoredChars { get; private set; }

        /// <summary>Blank lines read after the last line taken, kept only if the block goes on after them.</summary>
        public List<string> HeldBlanks { get; } = [];

        /// <summary>The end line has been read; only a chain line (after blank lines) continues the block.</summary>
        public bool Ended { get; set; }

        public void Append(string text, bool isEnd)
        {
            var index = LineCount++;
            switch (Detector.Title)
            {
                case TitleSource.StartAndNextLine when index == 1:
                    _title = _start.Trim() + " " + text.Trim();
                    break;
                case TitleSource.FirstLineAfterConfirm when _title is null && index > Detector.Confirm.Count
                                                            && !string.IsNullOrWhiteSpace(text):
                case TitleSource.LastEndLine when isEnd:
                    _title = text;
                    break;
            }

            if (_head.Count < _headCapacity)
            {
                _head.Add(text);
                StoredChars += text.Length;
                return;
            }

            _tail.Enqueue(text);
            StoredChars += text.Length;
            if (_tail.Count > _tailCapacity)
            {
                StoredChars -= _tail.Dequeue().Length;
                _omitted++;
            }
        }

        public string TitleOrStart(int maxLength)
        {
            var title = (_title ?? _start).Trim();
            return title.Length <= maxLength ? title : string.Concat(title.AsSpan(0, maxLength), "…");
        }

        public ErrorGroup ToGroup(string title) => new(
            Detector.Id,
            Detector.Language,
            title,
            [.. _head, .. _tail],
            _omitted,
            _omitted == 0 ? _head.Count + _tail.Count : _head.Count,
            Stream,
            FirstSequence,
            FirstSequence,
            FirstTime,
            FirstTime,
            Count: 1,
            Complete: false,
            Run: Run);
    }

    /// <summary>A recorded group: its first occurrence's block and the latest occurrence's place.</summary>
    private sealed class GroupEntry(ErrorGroup first, int storedChars)
    {
        public string Identity { get; set; } = "";

        public int StoredChars { get; } = storedChars;

        public int Run { get; } = first.Run;

        public int Count { get; set; } = 1;

        public long LastSequence { get; set; } = first.FirstSequence;

        public DateTimeOffset LastTime { get; set; } = first.FirstTime;

        public ErrorGroup ToGroup() => first with
        {
            Count = Count,
            LastSequence = LastSequence,
            LastTime = LastTime,
            Complete = true,
        };
    }
}
