using System.Diagnostics;
using Brummer.Grains.Logs;
using Brummer.Telemetry;

namespace Brummer.Grains.Telemetry;

/// <summary>
/// Writes an OTLP <c>ExportLogsServiceRequest</c> (opentelemetry-proto, collector/logs/v1 and logs/v1) for a batch of
/// script output: one ResourceLogs per script, so each script shows as its own service (<c>service.name</c>) on its
/// node (<c>host.name</c>), which the SDK's exporter cannot do (one resource per provider).
/// </summary>
internal static class OtlpLogsRequest
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

    public static void Write(ProtoWriter writer, IReadOnlyList<ScriptLogRecord> batch, DateTimeOffset observed)
    {
        var observedNanos = UnixNanos(observed);
        Span<byte> traceId = stackalloc byte[16];
        Span<byte> spanId = stackalloc byte[8];
        foreach (var script in batch.Select(r => r.Script).Distinct())
        {
            var resourceLogs = writer.BeginMessage(RequestResourceLogs);
            var resource = writer.BeginMessage(ResourceLogsResource);
            Attribute(writer, ResourceAttributes, "service.name", script.Script);
            Attribute(writer, ResourceAttributes, "service.namespace", "brummer");
            Attribute(writer, ResourceAttributes, "service.instance.id", $"{script.Node}/{script.Script}");
            Attribute(writer, ResourceAttributes, "host.name", script.Node);
            Attribute(writer, ResourceAttributes, BrummerTelemetry.Attributes.Node, script.Node);
            Attribute(writer, ResourceAttributes, BrummerTelemetry.Attributes.Script, script.Script);
            writer.EndMessage(resource);

            var scopeLogs = writer.BeginMessage(ResourceLogsScopeLogs);
            var scope = writer.BeginMessage(ScopeLogsScope);
            writer.String(ScopeName, BrummerTelemetry.ScriptOutputScope);
            writer.String(ScopeVersion, Version);
            writer.EndMessage(scope);
            foreach (var record in batch)
            {
                if (ReferenceEquals(record.Script, script))
                {
                    WriteRecord(writer, record, observedNanos, traceId, spanId);
                }
            }

            writer.EndMessage(scopeLogs);
            writer.EndMessage(resourceLogs);
        }
    }

    private static void WriteRecord(ProtoWriter writer, in ScriptLogRecord record, ulong observedNanos, Span<byte> traceId, Span<byte> spanId)
    {
        var message = writer.BeginMessage(ScopeLogsLogRecords);
        writer.Fixed64(RecordTime, UnixNanos(record.Time));
        writer.UInt64(RecordSeverityNumber, (ulong)record.Severity);
        writer.String(RecordSeverityText, record.Severity switch
        {
            ScriptOutputExport.SeverityError => "ERROR",
            ScriptOutputExport.SeverityWarn => "WARN",
            _ => "INFO",
        });
        var body = writer.BeginMessage(RecordBody);
        writer.String(AnyString, record.Body);
        writer.EndMessage(body);
        Attribute(writer, RecordAttributes, BrummerTelemetry.Attributes.Stream, record.Stream.ToWireName());
        Attribute(writer, RecordAttributes, BrummerTelemetry.Attributes.Sequence, record.Sequence);
        if (record.Error is { } error)
        {
            Attribute(writer, RecordAttributes, BrummerTelemetry.Attributes.ErrorKind, error.DetectorId);
            Attribute(writer, RecordAttributes, BrummerTelemetry.Attributes.ErrorTitle, error.Title);
        }

        if (record.TraceId != default)
        {
            writer.Fixed32(RecordFlags, 1); // W3C trace flags: sampled (the run's span is recorded)
            record.TraceId.CopyTo(traceId);
            record.SpanId.CopyTo(spanId);
            writer.Bytes(RecordTraceId, traceId);
            writer.Bytes(RecordSpanId, spanId);
        }

        writer.Fixed64(RecordObservedTime, observedNanos);
        writer.EndMessage(message);
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

    private static ulong UnixNanos(DateTimeOffset time) => (ulong)(time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100UL;
}
