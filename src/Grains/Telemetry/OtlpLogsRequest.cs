using System.Diagnostics;
using Brummer.Grains.Logs;
using Brummer.Grains.Logs.Detection;
using Brummer.Telemetry;

namespace Brummer.Grains.Telemetry;

/// <summary>
/// Builds an OTLP <c>ExportLogsServiceRequest</c> (opentelemetry-proto, collector/logs/v1 and logs/v1) for a batch of
/// script output, in one reused buffer: one ResourceLogs per script, so each script shows as its own service
/// (<c>service.name</c>) on its node (<c>host.name</c>), which the SDK's exporter cannot do (one resource per provider).
/// A line's text is encoded from where it lies; nothing is allocated per record.
/// </summary>
internal sealed class OtlpLogsRequest
{
    // Field numbers from opentelemetry/proto: collector/logs/v1/logs_service.proto, logs/v1/logs.proto,
    // resource/v1/resource.proto, common/v1/common.proto.
    private const int RequestResourceLogs = 1;
    private const int ResourceLogsResource = 1;
    private const int ResourceLogsScopeLogs = 2;
    private const int ResourceAttributes = 1;
    private const int ScopeLogsScope = 1;
    private const int ScopeLogsLogRecords = 2;
    private const int ScopeName = 1;
    private const int ScopeVersion = 2;
    private const int RecordTime = 1;
    private const int RecordSeverityNumber = 2;
    private const int RecordSeverityText = 3;
    private const int RecordBody = 5;
    private const int RecordAttributes = 6;
    private const int RecordFlags = 8;
    private const int RecordTraceId = 9;
    private const int RecordSpanId = 10;
    private const int RecordObservedTime = 11;
    private const int KeyValueKey = 1;
    private const int KeyValueValue = 2;
    private const int AnyString = 1;
    private const int AnyInt = 3;

    private static readonly string? Version = typeof(OtlpLogsRequest).Assembly.GetName().Version?.ToString();

    private readonly ProtoWriter _writer = new();
    private ulong _observedNanos;
    private ScriptOutputExport? _script;
    private int _resourceLogs = -1;
    private int _scopeLogs = -1;

    /// <summary>Records written since <see cref="Begin"/>.</summary>
    public int Records { get; private set; }

    public ReadOnlyMemory<byte> Written => _writer.Written;

    /// <summary>Starts a new request; records written from now on were observed (read by the node) at <paramref name="observed"/>.</summary>
    public void Begin(DateTimeOffset observed)
    {
        _writer.Reset();
        (_script, _resourceLogs, _scopeLogs, Records) = (null, -1, -1, 0);
        _observedNanos = UnixNanos(observed);
    }

    /// <summary>
    /// The records that follow are this script's, until <see cref="EndScript"/>; its resource is written with the first
    /// of them, so a script with nothing to send adds nothing to the request.
    /// </summary>
    public void Script(ScriptOutputExport script) => _script = script;

    public void EndScript()
    {
        if (_resourceLogs >= 0)
        {
            _writer.EndMessage(_scopeLogs);
            _writer.EndMessage(_resourceLogs);
        }

        (_script, _resourceLogs, _scopeLogs) = (null, -1, -1);
    }

    private void BeginResource(ScriptOutputExport script)
    {
        _resourceLogs = _writer.BeginMessage(RequestResourceLogs);
        var resource = _writer.BeginMessage(ResourceLogsResource);
        Attribute(_writer, ResourceAttributes, "service.name", script.Script);
        Attribute(_writer, ResourceAttributes, "service.namespace", "brummer");
        Attribute(_writer, ResourceAttributes, "service.instance.id", script.InstanceId);
        Attribute(_writer, ResourceAttributes, "host.name", script.Node);
        Attribute(_writer, ResourceAttributes, BrummerTelemetry.Attributes.Node, script.Node);
        Attribute(_writer, ResourceAttributes, BrummerTelemetry.Attributes.Script, script.Script);
        _writer.EndMessage(resource);

        _scopeLogs = _writer.BeginMessage(ResourceLogsScopeLogs);
        var scope = _writer.BeginMessage(ScopeLogsScope);
        _writer.String(ScopeName, BrummerTelemetry.ScriptOutputScope);
        _writer.String(ScopeVersion, Version);
        _writer.EndMessage(scope);
    }

    /// <summary>One captured line: stdout INFO, stderr WARN.</summary>
    public void Line(in CopiedLine line, ReadOnlySpan<char> text, ActivityTraceId traceId, ActivitySpanId spanId) =>
        Record(line.Ticks, line.Source == LogSource.Stderr ? ScriptOutputExport.SeverityWarn : ScriptOutputExport.SeverityInfo, line.Source, text, line.Sequence, traceId, spanId, null);

    /// <summary>One detected error block.</summary>
    public void Error(in ScriptLogRecord record) =>
        Record(record.Time.UtcTicks, record.Severity, record.Stream, record.Body, record.Sequence, record.TraceId, record.SpanId, record.Error);

    private void Record(
        long ticks, int severity, LogSource stream, ReadOnlySpan<char> body, long sequence, ActivityTraceId traceId, ActivitySpanId spanId, ErrorGroup? error)
    {
        if (_resourceLogs < 0)
        {
            BeginResource(_script ?? throw new InvalidOperationException("Name the script (Script) before its records."));
        }

        var writer = _writer;
        var message = writer.BeginMessage(ScopeLogsLogRecords);
        writer.Fixed64(RecordTime, TicksToUnixNanos(ticks));
        writer.UInt64(RecordSeverityNumber, (ulong)severity);
        writer.String(RecordSeverityText, severity switch
        {
            ScriptOutputExport.SeverityError => "ERROR",
            ScriptOutputExport.SeverityWarn => "WARN",
            _ => "INFO",
        });
        var value = writer.BeginMessage(RecordBody);
        writer.String(AnyString, body);
        writer.EndMessage(value);
        Attribute(writer, RecordAttributes, BrummerTelemetry.Attributes.Stream, stream.ToWireName());
        Attribute(writer, RecordAttributes, BrummerTelemetry.Attributes.Sequence, sequence);
        if (error is not null)
        {
            Attribute(writer, RecordAttributes, BrummerTelemetry.Attributes.ErrorKind, error.DetectorId);
            Attribute(writer, RecordAttributes, BrummerTelemetry.Attributes.ErrorTitle, error.Title);
        }

        if (traceId != default)
        {
            writer.Fixed32(RecordFlags, 1); // W3C trace flags: sampled (the run's span is recorded)
            Span<byte> id = stackalloc byte[16];
            traceId.CopyTo(id);
            writer.Bytes(RecordTraceId, id);
            spanId.CopyTo(id[..8]);
            writer.Bytes(RecordSpanId, id[..8]);
        }

        writer.Fixed64(RecordObservedTime, _observedNanos);
        writer.EndMessage(message);
        Records++;
    }

    private static void Attribute(ProtoWriter writer, int field, string key, string value)
    {
        var keyValue = writer.BeginMessage(field);
        writer.String(KeyValueKey, key);
        var any = writer.BeginMessage(KeyValueValue);
        writer.String(AnyString, value);
        writer.EndMessage(any);
        writer.EndMessage(keyValue);
    }

    private static void Attribute(ProtoWriter writer, int field, string key, long value)
    {
        var keyValue = writer.BeginMessage(field);
        writer.String(KeyValueKey, key);
        var any = writer.BeginMessage(KeyValueValue);
        writer.Int64(AnyInt, value);
        writer.EndMessage(any);
        writer.EndMessage(keyValue);
    }

    private static ulong UnixNanos(DateTimeOffset time) => TicksToUnixNanos(time.UtcTicks);

    private static ulong TicksToUnixNanos(long ticks) => (ulong)(ticks - DateTimeOffset.UnixEpoch.UtcTicks) * 100UL;
}
