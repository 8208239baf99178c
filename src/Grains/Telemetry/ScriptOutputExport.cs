using System.Collections.Concurrent;
using System.Diagnostics;
using Brummer.Grains.Logs;
using Brummer.Grains.Logs.Detection;

namespace Brummer.Grains.Telemetry;

/// <summary>
/// One script's output on its way to OpenTelemetry logs: each line a record (stdout INFO, stderr WARN), each detected
/// error block one ERROR record with the whole block, all carrying the trace of the run that printed them.
/// </summary>
/// <remarks>
/// The lines are not queued: the node's <see cref="ScriptLogExporter"/> reads them from the process's own
/// <see cref="LogBuffer"/>, where capture has put them anyway, from a cursor (the last line it took). The capture path
/// only tells the exporter "there is output" once, when the script goes from nothing pending to something pending, so
/// a line costs capture one flag read and no allocation; a string per line in a queue made a flood allocate 158 MB/s
/// and cost status its latency. A line the buffer evicts before the exporter reads it is dropped and counted, so the
/// backlog is bounded by the buffer the node holds anyway.
/// </remarks>
public sealed class ScriptOutputExport
{
    internal const int SeverityInfo = 9;
    internal const int SeverityWarn = 13;
    internal const int SeverityError = 17;

    /// <summary>Error records waiting at most per script; detected blocks are rare, a script failing in a loop is not.</summary>
    private const int MaxQueuedErrors = 64;

    private readonly ScriptLogExporter _exporter;
    private readonly ConcurrentQueue<ScriptLogRecord> _errors = new();
    private readonly Lock _runsGate = new();
    private RunTrace[] _runs;
    private long _cursor; // the last line taken (sent or counted as dropped); the exporter's loop alone moves it
    private int _queuedErrors;
    private int _signalled;

    internal ScriptOutputExport(ScriptLogExporter exporter, string node, string script, LogBuffer log)
    {
        _exporter = exporter;
        Node = node;
        Script = script;
        Log = log;
        InstanceId = $"{node}/{script}";
        _cursor = log.LastSequence; // what was printed before export began is not sent
        _runs = [new RunTrace(1, default, default)];
    }

    public string Node { get; }

    public string Script { get; }

    /// <summary>The resource's <c>service.instance.id</c>: NODE/SCRIPT.</summary>
    internal string InstanceId { get; }

    internal LogBuffer Log { get; }

    /// <summary>Lines printed and not yet taken by the exporter, and error records waiting.</summary>
    internal long Pending => Math.Max(0, Log.LastSequence - Math.Max(Volatile.Read(ref _cursor), Log.FirstSequence - 1)) + Volatile.Read(ref _queuedErrors);

    /// <summary>The run whose trace the lines printed from now on join (null between runs).</summary>
    public void RunIs(Activity? run)
    {
        var trace = run?.Recorded == true ? new RunTrace(Log.LastSequence + 1, run.TraceId, run.SpanId) : new RunTrace(Log.LastSequence + 1, default, default);
        lock (_runsGate)
        {
            // Keep the runs whose lines the exporter may still read: from the one holding the cursor on.
            var cursor = Volatile.Read(ref _cursor);
            var from = _runs.Length - 1;
            while (from > 0 && _runs[from].FirstSequence > cursor + 1)
            {
                from--;
            }

            _runs = [.. _runs.AsSpan(from), trace];
        }
    }

    /// <summary>A line was appended to the log: capture's only call, allocation-free, never waits.</summary>
    public void Appended()
    {
        if (Volatile.Read(ref _signalled) == 0 && Interlocked.Exchange(ref _signalled, 1) == 0)
        {
            _exporter.Ready(this);
        }
    }

    public void Error(ErrorGroup error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (Interlocked.Increment(ref _queuedErrors) > MaxQueuedErrors)
        {
            Interlocked.Decrement(ref _queuedErrors);
            _exporter.Dropped(1);
            return;
        }

        var run = TraceOf(error.FirstSequence);
        _errors.Enqueue(new ScriptLogRecord(
            error.FirstTime, SeverityError, error.Stream, string.Join('\n', error.Lines), error.FirstSequence, run.TraceId, run.SpanId, error));
        if (Interlocked.Exchange(ref _signalled, 1) == 0)
        {
            _exporter.Ready(this);
        }
    }

    /// <summary>Takes up to <paramref name="max"/> waiting error records (the exporter's loop).</summary>
    internal void TakeErrors(List<ScriptLogRecord> into, int max)
    {
        while (into.Count < max && _errors.TryDequeue(out var record))
        {
            Interlocked.Decrement(ref _queuedErrors);
            into.Add(record);
        }
    }

    /// <summary>
    /// Writes the next lines after the cursor into <paramref name="request"/>, at most <paramref name="max"/>, copied
    /// through <paramref name="scratch"/>; lines evicted before they could be read are skipped and returned as dropped.
    /// The exporter's loop only.
    /// </summary>
    internal (int Taken, long Dropped) TakeLines(int max, ref char[] scratch, OtlpLogsRequest request)
    {
        var taken = 0;
        var dropped = 0L;
        var cursor = _cursor;
        var last = Log.LastSequence;
        while (taken < max && cursor < last)
        {
            if (Log.TryCopy(cursor + 1, ref scratch, out var line))
            {
                var run = TraceOf(line.Sequence);
                request.Line(line, scratch.AsSpan(0, line.Length), run.TraceId, run.SpanId);
                cursor = line.Sequence;
                taken++;
                continue;
            }

            // Evicted before it was read: so is everything up to the oldest line still held.
            var first = Log.FirstSequence;
            dropped += first - 1 - cursor;
            cursor = first - 1;
        }

        Volatile.Write(ref _cursor, cursor);
        return (taken, dropped);
    }

    /// <summary>
    /// Whether there is more to take; if not, the script leaves the exporter's list until capture signals again. The
    /// flag is cleared before looking once more, so a line appended meanwhile is never left unsignalled.
    /// </summary>
    internal bool StillPending()
    {
        if (Volatile.Read(ref _cursor) < Log.LastSequence || !_errors.IsEmpty)
        {
            return true;
        }

        Volatile.Write(ref _signalled, 0);
        Interlocked.MemoryBarrier();
        return (Volatile.Read(ref _cursor) < Log.LastSequence || !_errors.IsEmpty) && Interlocked.Exchange(ref _signalled, 1) == 0;
    }

    private RunTrace TraceOf(long sequence)
    {
        var runs = Volatile.Read(ref _runs);
        for (var i = runs.Length - 1; i > 0; i--)
        {
            if (runs[i].FirstSequence <= sequence)
            {
                return runs[i];
            }
        }

        return runs[0];
    }

    /// <summary>Where each run's lines begin, and its trace (none between runs, or when the run is not recorded).</summary>
    private readonly record struct RunTrace(long FirstSequence, ActivityTraceId TraceId, ActivitySpanId SpanId);
}

/// <summary>One error record waiting for export.</summary>
internal readonly record struct ScriptLogRecord(
    DateTimeOffset Time,
    int Severity,
    LogSource Stream,
    string Body,
    long Sequence,
    ActivityTraceId TraceId,
    ActivitySpanId SpanId,
    ErrorGroup? Error);
