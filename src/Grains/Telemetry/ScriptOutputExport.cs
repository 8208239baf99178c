using System.Diagnostics;
using Brummer.Grains.Logs;
using Brummer.Grains.Logs.Detection;

namespace Brummer.Grains.Telemetry;

/// <summary>
/// One script's output on its way to OpenTelemetry logs: each line a record (stdout INFO, stderr WARN), each detected
/// error block one ERROR record with the whole block, all carrying the trace of the run that printed them. Hands
/// records to the node's <see cref="ScriptLogExporter"/> without waiting: when it falls behind, records are dropped
/// and counted, and the process never waits on the exporter.
/// </summary>
public sealed class ScriptOutputExport
{
    internal const int SeverityInfo = 9;
    internal const int SeverityWarn = 13;
    internal const int SeverityError = 17;

    private readonly ScriptLogExporter _exporter;
    private Activity? _run;

    internal ScriptOutputExport(ScriptLogExporter exporter, string node, string script)
    {
        _exporter = exporter;
        Node = node;
        Script = script;
    }

    public string Node { get; }

    public string Script { get; }

    /// <summary>The run whose trace later records join (null between runs).</summary>
    public void RunIs(Activity? run) => Volatile.Write(ref _run, run);

    public void Line(LogSource stream, ReadOnlySpan<char> text, long sequence, DateTimeOffset time)
    {
        var run = Volatile.Read(ref _run);
        _exporter.TryEnqueue(new ScriptLogRecord(
            this,
            time,
            stream == LogSource.Stderr ? SeverityWarn : SeverityInfo,
            stream,
            text.ToString(),
            sequence,
            run?.Recorded == true ? run.TraceId : default,
            run?.Recorded == true ? run.SpanId : default,
            Error: null));
    }

    public void Error(ErrorGroup error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var run = Volatile.Read(ref _run);
        _exporter.TryEnqueue(new ScriptLogRecord(
            this,
            error.FirstTime,
            SeverityError,
            error.Stream,
            string.Join('\n', error.Lines),
            error.FirstSequence,
            run?.Recorded == true ? run.TraceId : default,
            run?.Recorded == true ? run.SpanId : default,
            error));
    }
}

/// <summary>One record waiting for export.</summary>
internal readonly record struct ScriptLogRecord(
    ScriptOutputExport Script,
    DateTimeOffset Time,
    int Severity,
    LogSource Stream,
    string Body,
    long Sequence,
    ActivityTraceId TraceId,
    ActivitySpanId SpanId,
    ErrorGroup? Error);
