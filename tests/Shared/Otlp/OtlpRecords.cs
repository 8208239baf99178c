using System.Collections;
using System.Globalization;

namespace Brummer.Tests.Otlp;

/// <summary>The three OTLP signals, each posted to its own path (<c>/v1/traces</c>, <c>/v1/metrics</c>, <c>/v1/logs</c>).</summary>
public enum OtlpSignal
{
    Traces = 0,
    Metrics = 1,
    Logs = 2,
}

/// <summary>OTLP's <c>Span.SpanKind</c>, values as on the wire.</summary>
public enum OtlpSpanKind
{
    Unspecified = 0,
    Internal = 1,
    Server = 2,
    Client = 3,
    Producer = 4,
    Consumer = 5,
}

/// <summary>OTLP's <c>Status.StatusCode</c>, values as on the wire.</summary>
public enum OtlpStatusCode
{
    Unset = 0,
    Ok = 1,
    Error = 2,
}

/// <summary>Which of the <c>Metric.data</c> oneof arms carried the points: it decides what a point's value means.</summary>
public enum OtlpMetricKind
{
    Unknown = 0,
    Gauge = 1,
    Sum = 2,
    Histogram = 3,
    ExponentialHistogram = 4,
    Summary = 5,
}

/// <summary>OTLP's <c>AggregationTemporality</c>, values as on the wire (Unspecified for gauges and summaries).</summary>
public enum OtlpTemporality
{
    Unspecified = 0,
    Delta = 1,
    Cumulative = 2,
}

/// <summary>
/// Decoded OTLP attributes (resource, scope, span, event, link, data point, log record), in arrival order. A value is a
/// <see cref="string"/>, <see cref="long"/>, <see cref="double"/>, <see cref="bool"/>, <c>byte[]</c>, an
/// <c>IReadOnlyList&lt;object?&gt;</c> (array) or a nested <see cref="OtlpAttributes"/> (kvlist); null when the sender left
/// the value empty. <see cref="ToString"/> prints them all, so a failed wait says what did arrive.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1710", Justification = "Attributes is OTLP's own word for these.")]
public sealed class OtlpAttributes : IReadOnlyDictionary<string, object?>
{
    public static readonly OtlpAttributes Empty = new([]);

    private readonly IReadOnlyList<KeyValuePair<string, object?>> _pairs;
    private readonly Dictionary<string, object?> _byKey;

    public OtlpAttributes(IReadOnlyList<KeyValuePair<string, object?>> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        _pairs = pairs;
        _byKey = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in pairs)
        {
            // OTLP forbids duplicate keys; should a sender repeat one anyway, the last wins, as in most backends.
            _byKey[key] = value;
        }
    }

    public int Count => _byKey.Count;

    public IEnumerable<string> Keys => _byKey.Keys;

    public IEnumerable<object?> Values => _byKey.Values;

    public object? this[string key] => _byKey[key];

    public bool ContainsKey(string key) => _byKey.ContainsKey(key);

    public bool TryGetValue(string key, out object? value) => _byKey.TryGetValue(key, out value);

    /// <summary>The string value of <paramref name="key"/>, or null when absent or not a string.</summary>
    public string? GetString(string key) => _byKey.GetValueOrDefault(key) as string;

    /// <summary>True when <paramref name="key"/> is present with a value equal to <paramref name="expected"/>
    /// (an int compares with the wire's int64).</summary>
    public bool Has(string key, object expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (!_byKey.TryGetValue(key, out var value) || value is null)
        {
            return false;
        }

        return expected switch
        {
            int i => value is long l && l == i,
            float f => value is double d && d.Equals(f),
            _ => expected.Equals(value),
        };
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _pairs.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => "{" + string.Join(", ", _pairs.Select(p => $"{p.Key}={Format(p.Value)}")) + "}";

    internal static string Format(object? value) => value switch
    {
        null => "null",
        string s => s,
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        byte[] bytes => Convert.ToHexStringLower(bytes),
        OtlpAttributes kv => kv.ToString(),
        IReadOnlyList<object?> list => "[" + string.Join(", ", list.Select(Format)) + "]",
        _ => value.ToString() ?? string.Empty,
    };
}

/// <summary>The instrumentation scope (ActivitySource, Meter or logger category) that produced a span, metric or log.</summary>
public sealed record ReceivedScope(string Name, string Version, OtlpAttributes Attributes)
{
    public static readonly ReceivedScope Unknown = new(string.Empty, string.Empty, OtlpAttributes.Empty);
}

/// <summary>A span as it arrived. Ids are lower-case hex, as <c>ActivityTraceId.ToHexString()</c> prints them;
/// an absent id (a root span's parent) is the empty string.</summary>
public sealed record ReceivedSpan(
    OtlpAttributes Resource,
    ReceivedScope Scope,
    string TraceId,
    string SpanId,
    string ParentSpanId,
    string TraceState,
    uint Flags,
    string Name,
    OtlpSpanKind Kind,
    ulong StartTimeUnixNano,
    ulong EndTimeUnixNano,
    OtlpAttributes Attributes,
    IReadOnlyList<ReceivedSpanEvent> Events,
    IReadOnlyList<ReceivedSpanLink> Links,
    OtlpStatusCode StatusCode,
    string StatusMessage)
{
    public override string ToString() =>
        $"span '{Name}' {Kind} trace={TraceId} span={SpanId} parent={ParentSpanId} status={StatusCode} scope={Scope.Name} " +
        $"attributes={Attributes} events=[{string.Join(", ", Events)}] links=[{string.Join(", ", Links)}]";
}

/// <summary>A span event (<c>Activity.AddEvent</c>) as it arrived.</summary>
public sealed record ReceivedSpanEvent(string Name, ulong TimeUnixNano, OtlpAttributes Attributes)
{
    public override string ToString() => $"{Name} {Attributes}";
}

/// <summary>A span link (<c>ActivityLink</c>) as it arrived; ids in lower-case hex.</summary>
public sealed record ReceivedSpanLink(string TraceId, string SpanId, string TraceState, OtlpAttributes Attributes)
{
    public override string ToString() => $"{TraceId}/{SpanId} {Attributes}";
}

/// <summary>
/// One metric of one export: a cumulative instrument arrives again with every export, so the same name shows up once
/// per export. <see cref="IsMonotonic"/> is meaningful for sums only.
/// </summary>
public sealed record ReceivedMetric(
    OtlpAttributes Resource,
    ReceivedScope Scope,
    string Name,
    string Description,
    string Unit,
    OtlpMetricKind Kind,
    OtlpTemporality Temporality,
    bool IsMonotonic,
    IReadOnlyList<ReceivedDataPoint> DataPoints)
{
    public override string ToString() =>
        $"metric '{Name}' {Kind} unit={Unit} monotonic={IsMonotonic} scope={Scope.Name} points=[{string.Join("; ", DataPoints)}]";
}

/// <summary>
/// A data point. Gauges and sums carry <see cref="IntValue"/> or <see cref="DoubleValue"/> (as the instrument's type
/// was); histograms, exponential histograms and summaries carry <see cref="Count"/> and <see cref="Sum"/>
/// (explicit-bucket histograms also their buckets; histograms min and max when the SDK recorded them).
/// </summary>
public sealed record ReceivedDataPoint(
    OtlpAttributes Attributes,
    ulong StartTimeUnixNano,
    ulong TimeUnixNano,
    long? IntValue,
    double? DoubleValue,
    ulong? Count,
    double? Sum,
    double? Min,
    double? Max,
    IReadOnlyList<ulong> BucketCounts,
    IReadOnlyList<double> ExplicitBounds)
{
    /// <summary>The number of a gauge or sum, whichever way it was sent; null for histograms and summaries.</summary>
    public double? Value => IntValue ?? DoubleValue;

    public override string ToString() =>
        $"{Attributes} " + (Count is null ? $"value={OtlpAttributes.Format(IntValue ?? (object?)DoubleValue)}" : $"count={Count} sum={OtlpAttributes.Format(Sum)}");
}

/// <summary>A log record as it arrived. <see cref="Body"/> is the string body, or a printed form of any other body
/// (null when there was none); ids are lower-case hex, empty when the record had no trace context.</summary>
public sealed record ReceivedLog(
    OtlpAttributes Resource,
    ReceivedScope Scope,
    ulong TimeUnixNano,
    ulong ObservedTimeUnixNano,
    int SeverityNumber,
    string SeverityText,
    string? Body,
    OtlpAttributes Attributes,
    string TraceId,
    string SpanId,
    uint Flags,
    string EventName)
{
    public override string ToString() =>
        $"log {SeverityText}({SeverityNumber}) '{Body}' scope={Scope.Name} trace={TraceId} span={SpanId} attributes={Attributes}";
}

/// <summary>One POST the receiver answered: which signal, its headers (looked up case-insensitively; repeated values
/// joined by a comma), and the body size on the wire.</summary>
public sealed record ReceivedRequest(OtlpSignal Signal, IReadOnlyDictionary<string, string> Headers, long ContentLength)
{
    public override string ToString() => $"{Signal} ({ContentLength} bytes) headers: {string.Join(", ", Headers.Select(h => $"{h.Key}={h.Value}"))}";
}
