namespace Brummer.Tests.Otlp;

/// <summary>
/// The protobuf field numbers of the OTLP messages the receiver reads, all in one place so each can be checked against
/// the spec. They come from open-telemetry/opentelemetry-proto (Apache-2.0), v1 (stable), under
/// <c>opentelemetry/proto/</c>: the file of each group is named above it. OTLP promises never to renumber a stable field,
/// and the decoder skips fields it does not know, so a newer sender still decodes.
/// </summary>
/// <remarks>
/// Why hand-walked rather than generated: no package reachable here ships the OTLP <c>.proto</c> files or generated C#
/// types (OpenTelemetry.Proto is not served; the .NET exporter keeps its serializer internal), so the receiver walks the
/// wire with Google.Protobuf's <c>CodedInputStream</c> and these numbers.
/// </remarks>
internal static class OtlpFields
{
    // collector/trace/v1/trace_service.proto
    internal static class ExportTraceServiceRequest
    {
        public const int ResourceSpans = 1;
    }

    // collector/metrics/v1/metrics_service.proto
    internal static class ExportMetricsServiceRequest
    {
        public const int ResourceMetrics = 1;
    }

    // collector/logs/v1/logs_service.proto
    internal static class ExportLogsServiceRequest
    {
        public const int ResourceLogs = 1;
    }

    // resource/v1/resource.proto
    internal static class Resource
    {
        public const int Attributes = 1;
    }

    // common/v1/common.proto
    internal static class InstrumentationScope
    {
        public const int Name = 1;
        public const int Version = 2;
        public const int Attributes = 3;
    }

    // common/v1/common.proto
    internal static class KeyValue
    {
        public const int Key = 1;
        public const int Value = 2;
    }

    // common/v1/common.proto: a oneof.
    internal static class AnyValue
    {
        public const int StringValue = 1;
        public const int BoolValue = 2;
        public const int IntValue = 3; // int64 (varint)
        public const int DoubleValue = 4;
        public const int ArrayValue = 5;
        public const int KvlistValue = 6;
        public const int BytesValue = 7;
    }

    // common/v1/common.proto: ArrayValue.values and KeyValueList.values.
    internal static class ListValue
    {
        public const int Values = 1;
    }

    // trace/v1/trace.proto
    internal static class ResourceSpans
    {
        public const int Resource = 1;
        public const int ScopeSpans = 2;
    }

    // trace/v1/trace.proto
    internal static class ScopeSpans
    {
        public const int Scope = 1;
        public const int Spans = 2;
    }

    // trace/v1/trace.proto
    internal static class Span
    {
        public const int TraceId = 1;
        public const int SpanId = 2;
        public const int TraceState = 3;
        public const int ParentSpanId = 4;
        public const int Name = 5;
        public const int Kind = 6;
        public const int StartTimeUnixNano = 7; // fixed64
        public const int EndTimeUnixNano = 8; // fixed64
        public const int Attributes = 9;
        public const int Events = 11;
        public const int Links = 13;
        public const int Status = 15;
        public const int Flags = 16; // fixed32
    }

    // trace/v1/trace.proto: Span.Event
    internal static class SpanEvent
    {
        public const int TimeUnixNano = 1; // fixed64
        public const int Name = 2;
        public const int Attributes = 3;
    }

    // trace/v1/trace.proto: Span.Link
    internal static class SpanLink
    {
        public const int TraceId = 1;
        public const int SpanId = 2;
        public const int TraceState = 3;
        public const int Attributes = 4;
    }

    // trace/v1/trace.proto
    internal static class Status
    {
        public const int Message = 2;
        public const int Code = 3;
    }

    // metrics/v1/metrics.proto
    internal static class ResourceMetrics
    {
        public const int Resource = 1;
        public const int ScopeMetrics = 2;
    }

    // metrics/v1/metrics.proto
    internal static class ScopeMetrics
    {
        public const int Scope = 1;
        public const int Metrics = 2;
    }

    // metrics/v1/metrics.proto: the data is a oneof of the last five.
    internal static class Metric
    {
        public const int Name = 1;
        public const int Description = 2;
        public const int Unit = 3;
        public const int Gauge = 5;
        public const int Sum = 7;
        public const int Histogram = 9;
        public const int ExponentialHistogram = 10;
        public const int Summary = 11;
    }

    // metrics/v1/metrics.proto: Gauge, Sum, Histogram, ExponentialHistogram and Summary share the first two numbers.
    internal static class MetricData
    {
        public const int DataPoints = 1;
        public const int AggregationTemporality = 2; // not in Gauge and Summary
        public const int IsMonotonic = 3; // Sum only
    }

    // metrics/v1/metrics.proto: value is a oneof.
    internal static class NumberDataPoint
    {
        public const int StartTimeUnixNano = 2; // fixed64
        public const int TimeUnixNano = 3; // fixed64
        public const int AsDouble = 4;
        public const int AsInt = 6; // sfixed64
        public const int Attributes = 7;
    }

    // metrics/v1/metrics.proto
    internal static class HistogramDataPoint
    {
        public const int StartTimeUnixNano = 2; // fixed64
        public const int TimeUnixNano = 3; // fixed64
        public const int Count = 4; // fixed64
        public const int Sum = 5; // optional double
        public const int BucketCounts = 6; // repeated fixed64, packed
        public const int ExplicitBounds = 7; // repeated double, packed
        public const int Attributes = 9;
        public const int Min = 11; // optional double
        public const int Max = 12; // optional double
    }

    // metrics/v1/metrics.proto
    internal static class ExponentialHistogramDataPoint
    {
        public const int Attributes = 1;
        public const int StartTimeUnixNano = 2; // fixed64
        public const int TimeUnixNano = 3; // fixed64
        public const int Count = 4; // fixed64
        public const int Sum = 5; // optional double
        public const int Scale = 6; // sint32
        public const int ZeroCount = 7; // fixed64
        public const int Min = 12; // optional double
        public const int Max = 13; // optional double
    }

    // metrics/v1/metrics.proto
    internal static class SummaryDataPoint
    {
        public const int StartTimeUnixNano = 2; // fixed64
        public const int TimeUnixNano = 3; // fixed64
        public const int Count = 4; // fixed64
        public const int Sum = 5; // double
        public const int Attributes = 7;
    }

    // logs/v1/logs.proto
    internal static class ResourceLogs
    {
        public const int Resource = 1;
        public const int ScopeLogs = 2;
    }

    // logs/v1/logs.proto
    internal static class ScopeLogs
    {
        public const int Scope = 1;
        public const int LogRecords = 2;
    }

    // logs/v1/logs.proto
    internal static class LogRecord
    {
        public const int TimeUnixNano = 1; // fixed64
        public const int SeverityNumber = 2;
        public const int SeverityText = 3;
        public const int Body = 5;
        public const int Attributes = 6;
        public const int Flags = 8; // fixed32
        public const int TraceId = 9;
        public const int SpanId = 10;
        public const int ObservedTimeUnixNano = 11; // fixed64
        public const int EventName = 12;
    }
}
