using Google.Protobuf;
using F = Brummer.Tests.Otlp.OtlpFields;

namespace Brummer.Tests.Otlp;

/// <summary>
/// Turns the body of an OTLP/HTTP protobuf request (an <c>Export*ServiceRequest</c>) into flat records, one per span,
/// metric or log record, each carrying its resource and scope. Walks the wire with Google.Protobuf's
/// <see cref="CodedInputStream"/> by the numbers in <see cref="OtlpFields"/>; fields it does not know are skipped, so
/// what a newer sender adds does not break it. Throws (<see cref="InvalidProtocolBufferException"/>, <see cref="InvalidDataException"/>) on a malformed body.
/// </summary>
public static class OtlpDecoder
{
    public static IReadOnlyList<ReceivedSpan> DecodeTraces(byte[] body)
    {
        var spans = new List<ReceivedSpan>();
        ForEachField(body, (field, input) =>
        {
            if (field != F.ExportTraceServiceRequest.ResourceSpans)
            {
                return false;
            }

            var (resource, scopes) = ReadResourceGroup(input.ReadBytes().ToByteArray(), F.ResourceSpans.Resource, F.ResourceSpans.ScopeSpans);
            foreach (var scopeBytes in scopes)
            {
                var (scope, items) = ReadScopeGroup(scopeBytes, F.ScopeSpans.Scope, F.ScopeSpans.Spans);
                spans.AddRange(items.Select(span => ReadSpan(span, resource, scope)));
            }

            return true;
        });
        return spans;
    }

    public static IReadOnlyList<ReceivedMetric> DecodeMetrics(byte[] body)
    {
        var metrics = new List<ReceivedMetric>();
        ForEachField(body, (field, input) =>
        {
            if (field != F.ExportMetricsServiceRequest.ResourceMetrics)
            {
                return false;
            }

            var (resource, scopes) = ReadResourceGroup(input.ReadBytes().ToByteArray(), F.ResourceMetrics.Resource, F.ResourceMetrics.ScopeMetrics);
            foreach (var scopeBytes in scopes)
            {
                var (scope, items) = ReadScopeGroup(scopeBytes, F.ScopeMetrics.Scope, F.ScopeMetrics.Metrics);
                metrics.AddRange(items.Select(metric => ReadMetric(metric, resource, scope)));
            }

            return true;
        });
        return metrics;
    }

    public static IReadOnlyList<ReceivedLog> DecodeLogs(byte[] body)
    {
        var logs = new List<ReceivedLog>();
        ForEachField(body, (field, input) =>
        {
            if (field != F.ExportLogsServiceRequest.ResourceLogs)
            {
                return false;
            }

            var (resource, scopes) = ReadResourceGroup(input.ReadBytes().ToByteArray(), F.ResourceLogs.Resource, F.ResourceLogs.ScopeLogs);
            foreach (var scopeBytes in scopes)
            {
                var (scope, items) = ReadScopeGroup(scopeBytes, F.ScopeLogs.Scope, F.ScopeLogs.LogRecords);
                logs.AddRange(items.Select(log => ReadLog(log, resource, scope)));
            }

            return true;
        });
        return logs;
    }

    /// <summary>
    /// Reads every field of a message: <paramref name="read"/> consumes the fields it knows and returns true; the rest
    /// are skipped. The resource (or scope) may come after the items it applies to, so groups are read whole first.
    /// </summary>
    private static void ForEachField(byte[] message, Func<int, CodedInputStream, bool> read) =>
        ForEachField(message, (field, _, input) => read(field, input));

    /// <summary>As above, with the wire type too, for the fields a sender may pack or not.</summary>
    private static void ForEachField(byte[] message, Func<int, WireFormat.WireType, CodedInputStream, bool> read)
    {
        using var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (!read(WireFormat.GetTagFieldNumber(tag), WireFormat.GetTagWireType(tag), input))
            {
                input.SkipLastField();
            }
        }
    }

    private static (OtlpAttributes Resource, List<byte[]> Scopes) ReadResourceGroup(byte[] message, int resourceField, int scopesField)
    {
        var resource = OtlpAttributes.Empty;
        var scopes = new List<byte[]>();
        ForEachField(message, (field, input) =>
        {
            if (field == resourceField)
            {
                resource = ReadResource(input.ReadBytes().ToByteArray());
            }
            else if (field == scopesField)
            {
                scopes.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                return false;
            }

            return true;
        });
        return (resource, scopes);
    }

    private static (ReceivedScope Scope, List<byte[]> Items) ReadScopeGroup(byte[] message, int scopeField, int itemsField)
    {
        var scope = ReceivedScope.Unknown;
        var items = new List<byte[]>();
        ForEachField(message, (field, input) =>
        {
            if (field == scopeField)
            {
                scope = ReadScope(input.ReadBytes().ToByteArray());
            }
            else if (field == itemsField)
            {
                items.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                return false;
            }

            return true;
        });
        return (scope, items);
    }

    private static OtlpAttributes ReadResource(byte[] message)
    {
        var attributes = new List<KeyValuePair<string, object?>>();
        ForEachField(message, (field, input) => field == F.Resource.Attributes && AddKeyValue(input, attributes));
        return new OtlpAttributes(attributes);
    }

    private static ReceivedScope ReadScope(byte[] message)
    {
        string name = string.Empty, version = string.Empty;
        var attributes = new List<KeyValuePair<string, object?>>();
        ForEachField(message, (field, input) =>
        {
            switch (field)
            {
                case F.InstrumentationScope.Name: name = input.ReadString(); return true;
                case F.InstrumentationScope.Version: version = input.ReadString(); return true;
                case F.InstrumentationScope.Attributes: return AddKeyValue(input, attributes);
                default: return false;
            }
        });
        return new ReceivedScope(name, version, new OtlpAttributes(attributes));
    }

    private static ReceivedSpan ReadSpan(byte[] message, OtlpAttributes resource, ReceivedScope scope)
    {
        string traceId = string.Empty, spanId = string.Empty, parentSpanId = string.Empty, traceState = string.Empty, name = string.Empty;
        string statusMessage = string.Empty;
        uint flags = 0;
        var kind = OtlpSpanKind.Unspecified;
        var statusCode = OtlpStatusCode.Unset;
        ulong start = 0, end = 0;
        var attributes = new List<KeyValuePair<string, object?>>();
        var events = new List<ReceivedSpanEvent>();
        var links = new List<ReceivedSpanLink>();
        ForEachField(message, (field, input) =>
        {
            switch (field)
            {
                case F.Span.TraceId: traceId = Hex(input); return true;
                case F.Span.SpanId: spanId = Hex(input); return true;
                case F.Span.TraceState: traceState = input.ReadString(); return true;
                case F.Span.ParentSpanId: parentSpanId = Hex(input); return true;
                case F.Span.Flags: flags = input.ReadFixed32(); return true;
                case F.Span.Name: name = input.ReadString(); return true;
                case F.Span.Kind: kind = (OtlpSpanKind)input.ReadEnum(); return true;
                case F.Span.StartTimeUnixNano: start = input.ReadFixed64(); return true;
                case F.Span.EndTimeUnixNano: end = input.ReadFixed64(); return true;
                case F.Span.Attributes: return AddKeyValue(input, attributes);
                case F.Span.Events: events.Add(ReadSpanEvent(input.ReadBytes().ToByteArray())); return true;
                case F.Span.Links: links.Add(ReadSpanLink(input.ReadBytes().ToByteArray())); return true;
                case F.Span.Status:
                    ForEachField(input.ReadBytes().ToByteArray(), (statusField, status) =>
                    {
                        switch (statusField)
                        {
                            case F.Status.Message: statusMessage = status.ReadString(); return true;
                            case F.Status.Code: statusCode = (OtlpStatusCode)status.ReadEnum(); return true;
                            default: return false;
                        }
                    });
                    return true;
                default: return false;
            }
        });
        return new ReceivedSpan(
            resource, scope, traceId, spanId, parentSpanId, traceState, flags, name, kind, start, end,
            new OtlpAttributes(attributes), events, links, statusCode, statusMessage);
    }

    private static ReceivedSpanEvent ReadSpanEvent(byte[] message)
    {
        var name = string.Empty;
        ulong time = 0;
        var attributes = new List<KeyValuePair<string, object?>>();
        ForEachField(message, (field, input) =>
        {
            switch (field)
            {
                case F.SpanEvent.TimeUnixNano: time = input.ReadFixed64(); return true;
                case F.SpanEvent.Name: name = input.ReadString(); return true;
                case F.SpanEvent.Attributes: return AddKeyValue(input, attributes);
                default: return false;
            }
        });
        return new ReceivedSpanEvent(name, time, new OtlpAttributes(attributes));
    }

    private static ReceivedSpanLink ReadSpanLink(byte[] message)
    {
        string traceId = string.Empty, spanId = string.Empty, traceState = string.Empty;
        var attributes = new List<KeyValuePair<string, object?>>();
        ForEachField(message, (field, input) =>
        {
            switch (field)
            {
                case F.SpanLink.TraceId: traceId = Hex(input); return true;
                case F.SpanLink.SpanId: spanId = Hex(input); return true;
                case F.SpanLink.TraceState: traceState = input.ReadString(); return true;
                case F.SpanLink.Attributes: return AddKeyValue(input, attributes);
                default: return false;
            }
        });
        return new ReceivedSpanLink(traceId, spanId, traceState, new OtlpAttributes(attributes));
    }

    private static ReceivedMetric ReadMetric(byte[] message, OtlpAttributes resource, ReceivedScope scope)
    {
        string name = string.Empty, description = string.Empty, unit = string.Empty;
        var kind = OtlpMetricKind.Unknown;
        var temporality = OtlpTemporality.Unspecified;
        var monotonic = false;
        var points = new List<ReceivedDataPoint>();
        ForEachField(message, (field, input) =>
        {
            switch (field)
            {
                case F.Metric.Name: name = input.ReadString(); return true;
                case F.Metric.Description: description = input.ReadString(); return true;
                case F.Metric.Unit: unit = input.ReadString(); return true;
                case F.Metric.Gauge: kind = OtlpMetricKind.Gauge; break;
                case F.Metric.Sum: kind = OtlpMetricKind.Sum; break;
                case F.Metric.Histogram: kind = OtlpMetricKind.Histogram; break;
                case F.Metric.ExponentialHistogram: kind = OtlpMetricKind.ExponentialHistogram; break;
                case F.Metric.Summary: kind = OtlpMetricKind.Summary; break;
                default: return false;
            }

            // One of the data arms: they share the numbers of data_points, aggregation_temporality and is_monotonic.
            var pointKind = kind;
            ForEachField(input.ReadBytes().ToByteArray(), (dataField, data) =>
            {
                switch (dataField)
                {
                    case F.MetricData.DataPoints: points.Add(ReadDataPoint(pointKind, data.ReadBytes().ToByteArray())); return true;
                    case F.MetricData.AggregationTemporality when pointKind is not (OtlpMetricKind.Gauge or OtlpMetricKind.Summary):
                        temporality = (OtlpTemporality)data.ReadEnum();
                        return true;
                    case F.MetricData.IsMonotonic when pointKind is OtlpMetricKind.Sum: monotonic = data.ReadBool(); return true;
                    default: return false;
                }
            });
            return true;
        });
        return new ReceivedMetric(resource, scope, name, description, unit, kind, temporality, monotonic, points);
    }

    private static ReceivedDataPoint ReadDataPoint(OtlpMetricKind kind, byte[] message) => kind switch
    {
        OtlpMetricKind.Gauge or OtlpMetricKind.Sum => ReadNumberDataPoint(message),
        OtlpMetricKind.Histogram => ReadHistogramDataPoint(message),
        OtlpMetricKind.ExponentialHistogram => ReadExponentialHistogramDataPoint(message),
        OtlpMetricKind.Summary => ReadSummaryDataPoint(message),
        _ => throw new InvalidOperationException($"No data point layout for {kind}."),
    };

    private static ReceivedDataPoint ReadNumberDataPoint(byte[] message)
    {
        ulong start = 0, time = 0;
        long? asInt = null;
        double? asDouble = null;
        var attributes = new List<KeyValuePair<string, object?>>();
        ForEachField(message, (field, input) =>
        {
            switch (field)
            {
                case F.NumberDataPoint.StartTimeUnixNano: start = input.ReadFixed64(); return true;
                case F.NumberDataPoint.TimeUnixNano: time = input.ReadFixed64(); return true;
                case F.NumberDataPoint.AsDouble: asDouble = input.ReadDouble(); return true;
                case F.NumberDataPoint.AsInt: asInt = input.ReadSFixed64(); return true;
                case F.NumberDataPoint.Attributes: return AddKeyValue(input, attributes);
                default: return false;
            }
        });
        return new ReceivedDataPoint(new OtlpAttributes(attributes), start, time, asInt, asDouble, null, null, null, null, [], []);
    }

    private static ReceivedDataPoint ReadHistogramDataPoint(byte[] message)
    {
        ulong start = 0, time = 0, count = 0;
        double? sum = null, min = null, max = null;
        var buckets = new List<ulong>();
        var bounds = new List<double>();
        var attributes = new List<KeyValuePair<string, object?>>();
        ForEachField(message, (field, wireType, input) =>
        {
            switch (field)
            {
                case F.HistogramDataPoint.StartTimeUnixNano: start = input.ReadFixed64(); return true;
                case F.HistogramDataPoint.TimeUnixNano: time = input.ReadFixed64(); return true;
                case F.HistogramDataPoint.Count: count = input.ReadFixed64(); return true;
                case F.HistogramDataPoint.Sum: sum = input.ReadDouble(); return true;
                case F.HistogramDataPoint.Min: min = input.ReadDouble(); return true;
                case F.HistogramDataPoint.Max: max = input.ReadDouble(); return true;
                case F.HistogramDataPoint.BucketCounts: ReadRepeated64(input, wireType, () => buckets.Add(input.ReadFixed64())); return true;
                case F.HistogramDataPoint.ExplicitBounds: ReadRepeated64(input, wireType, () => bounds.Add(input.ReadDouble())); return true;
                case F.HistogramDataPoint.Attributes: return AddKeyValue(input, attributes);
                default: return false;
            }
        });
        return new ReceivedDataPoint(new OtlpAttributes(attributes), start, time, null, null, count, sum, min, max, buckets, bounds);
    }

    private static ReceivedDataPoint ReadExponentialHistogramDataPoint(byte[] message)
    {
        ulong start = 0, time = 0, count = 0;
        double? sum = null, min = null, max = null;
        var attributes = new List<KeyValuePair<string, object?>>();
        ForEachField(message, (field, input) =>
        {
            switch (field)
            {
                case F.ExponentialHistogramDataPoint.StartTimeUnixNano: start = input.ReadFixed64(); return true;
                case F.ExponentialHistogramDataPoint.TimeUnixNano: time = input.ReadFixed64(); return true;
                case F.ExponentialHistogramDataPoint.Count: count = input.ReadFixed64(); return true;
                case F.ExponentialHistogramDataPoint.Sum: sum = input.ReadDouble(); return true;
                case F.ExponentialHistogramDataPoint.Min: min = input.ReadDouble(); return true;
                case F.ExponentialHistogramDataPoint.Max: max = input.ReadDouble(); return true;
                case F.ExponentialHistogramDataPoint.Attributes: return AddKeyValue(input, attributes);
                default: return false;
            }
        });
        return new ReceivedDataPoint(new OtlpAttributes(attributes), start, time, null, null, count, sum, min, max, [], []);
    }

    private static ReceivedDataPoint ReadSummaryDataPoint(byte[] message)
    {
        ulong start = 0, time = 0, count = 0;
        double sum = 0;
        var attributes = new List<KeyValuePair<string, object?>>();
        ForEachField(message, (field, input) =>
        {
            switch (field)
            {
                case F.SummaryDataPoint.StartTimeUnixNano: start = input.ReadFixed64(); return true;
                case F.SummaryDataPoint.TimeUnixNano: time = input.ReadFixed64(); return true;
                case F.SummaryDataPoint.Count: count = input.ReadFixed64(); return true;
                case F.SummaryDataPoint.Sum: sum = input.ReadDouble(); return true;
                case F.SummaryDataPoint.Attributes: return AddKeyValue(input, attributes);
                default: return false;
            }
        });
        return new ReceivedDataPoint(new OtlpAttributes(attributes), start, time, null, null, count, sum, null, null, [], []);
    }

    private static ReceivedLog ReadLog(byte[] message, OtlpAttributes resource, ReceivedScope scope)
    {
        ulong time = 0, observed = 0;
        var severity = 0;
        string severityText = string.Empty, traceId = string.Empty, spanId = string.Empty, eventName = string.Empty;
        string? body = null;
        uint flags = 0;
        var attributes = new List<KeyValuePair<string, object?>>();
        ForEachField(message, (field, input) =>
        {
            switch (field)
            {
                case F.LogRecord.TimeUnixNano: time = input.ReadFixed64(); return true;
                case F.LogRecord.ObservedTimeUnixNano: observed = input.ReadFixed64(); return true;
                case F.LogRecord.SeverityNumber: severity = input.ReadEnum(); return true;
                case F.LogRecord.SeverityText: severityText = input.ReadString(); return true;
                case F.LogRecord.Body:
                    var value = ReadAnyValue(input.ReadBytes().ToByteArray());
                    body = value is null ? null : OtlpAttributes.Format(value);
                    return true;
                case F.LogRecord.Attributes: return AddKeyValue(input, attributes);
                case F.LogRecord.Flags: flags = input.ReadFixed32(); return true;
                case F.LogRecord.TraceId: traceId = Hex(input); return true;
                case F.LogRecord.SpanId: spanId = Hex(input); return true;
                case F.LogRecord.EventName: eventName = input.ReadString(); return true;
                default: return false;
            }
        });
        return new ReceivedLog(resource, scope, time, observed, severity, severityText, body, new OtlpAttributes(attributes), traceId, spanId, flags, eventName);
    }

    /// <summary>Reads one <c>KeyValue</c> (the current field) into <paramref name="into"/>.</summary>
    private static bool AddKeyValue(CodedInputStream input, List<KeyValuePair<string, object?>> into)
    {
        var key = string.Empty;
        object? value = null;
        ForEachField(input.ReadBytes().ToByteArray(), (field, kv) =>
        {
            switch (field)
            {
                case F.KeyValue.Key: key = kv.ReadString(); return true;
                case F.KeyValue.Value: value = ReadAnyValue(kv.ReadBytes().ToByteArray()); return true;
                default: return false;
            }
        });
        into.Add(new KeyValuePair<string, object?>(key, value));
        return true;
    }

    private static object? ReadAnyValue(byte[] message)
    {
        object? value = null;
        ForEachField(message, (field, input) =>
        {
            switch (field)
            {
                case F.AnyValue.StringValue: value = input.ReadString(); return true;
                case F.AnyValue.BoolValue: value = input.ReadBool(); return true;
                case F.AnyValue.IntValue: value = input.ReadInt64(); return true;
                case F.AnyValue.DoubleValue: value = input.ReadDouble(); return true;
                case F.AnyValue.BytesValue: value = input.ReadBytes().ToByteArray(); return true;
                case F.AnyValue.ArrayValue:
                    var items = new List<object?>();
                    ForEachField(input.ReadBytes().ToByteArray(), (itemField, array) =>
                    {
                        if (itemField != F.ListValue.Values)
                        {
                            return false;
                        }

                        items.Add(ReadAnyValue(array.ReadBytes().ToByteArray()));
                        return true;
                    });
                    value = items;
                    return true;
                case F.AnyValue.KvlistValue:
                    var pairs = new List<KeyValuePair<string, object?>>();
                    ForEachField(input.ReadBytes().ToByteArray(), (pairField, list) => pairField == F.ListValue.Values && AddKeyValue(list, pairs));
                    value = new OtlpAttributes(pairs);
                    return true;
                default: return false;
            }
        });
        return value;
    }

    /// <summary>A repeated 64-bit fixed-size field: packed (the proto3 default) or one value per tag.</summary>
    private static void ReadRepeated64(CodedInputStream input, WireFormat.WireType wireType, Action readOne)
    {
        if (wireType != WireFormat.WireType.LengthDelimited)
        {
            readOne();
            return;
        }

        var length = input.ReadLength();
        if (length % 8 != 0)
        {
            throw new InvalidDataException($"A packed 64-bit field of {length} bytes.");
        }

        for (var i = 0; i < length / 8; i++)
        {
            readOne();
        }
    }

    private static string Hex(CodedInputStream input) => Convert.ToHexStringLower(input.ReadBytes().Span);
}
