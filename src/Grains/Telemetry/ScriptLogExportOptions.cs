using System.Globalization;
using System.Net;

namespace Brummer.Grains.Telemetry;

/// <summary>How an OTLP endpoint is spoken to, as OTEL_EXPORTER_OTLP_PROTOCOL names it.</summary>
public enum OtlpTransport
{
    /// <summary><c>grpc</c>: the OpenTelemetry .NET SDK's default, and what Aspire's dashboard is given by default.</summary>
    Grpc,

    /// <summary><c>http/protobuf</c>: a POST per batch to <c>/v1/logs</c>.</summary>
    HttpProtobuf,
}

/// <summary>
/// Where the scripts' output goes as OpenTelemetry logs: read from the same OTEL_EXPORTER_OTLP_* settings the SDK's
/// exporter follows for the node's own telemetry, so one endpoint setting sends both to the same place.
/// </summary>
/// <param name="Endpoint">The full URL a batch is sent to.</param>
public sealed record ScriptLogExportOptions(Uri Endpoint, OtlpTransport Transport, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    /// <summary>Records per request at most.</summary>
    public int MaxBatch { get; init; } = 512;

    /// <summary>How long a record may wait for more to share its request.</summary>
    public TimeSpan BatchDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Records sent per second at most (0: no limit); <c>BRUMMER_OTEL_LOGS_RATE</c>. A flood is not worth its cost in a
    /// dashboard: Aspire's keeps 10,000 records per resource, so 100,000 lines a second would replace them all ten
    /// times a second while costing the node's status a fifth of its latency (docs/benchmarks.md). Beyond the rate the
    /// lines wait in their log buffer and, if the flood goes on, are evicted and counted as dropped (queue_full).
    /// </summary>
    public int MaxRecordsPerSecond { get; init; } = DefaultMaxRecordsPerSecond;

    public const int DefaultMaxRecordsPerSecond = 10_000;

    /// <summary>How long one request may take before its batch counts as failed.</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The settings from OTEL_EXPORTER_OTLP_LOGS_* or OTEL_EXPORTER_OTLP_*, or null when no endpoint is configured
    /// (then nothing leaves the machine).
    /// </summary>
    /// <exception cref="OtlpSettingsException">An endpoint, protocol or header setting that cannot be used, with what to write instead.</exception>
    public static ScriptLogExportOptions? FromSettings(Func<string, string?> setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        var signalEndpoint = Setting(setting, "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT");
        var endpoint = signalEndpoint ?? Setting(setting, "OTEL_EXPORTER_OTLP_ENDPOINT");
        if (endpoint is null)
        {
            return null;
        }

        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new OtlpSettingsException($"The OTLP endpoint '{endpoint}' is not an http:// or https:// URL (e.g. http://localhost:4318).");
        }

        var protocol = Setting(setting, "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL") ?? Setting(setting, "OTEL_EXPORTER_OTLP_PROTOCOL") ?? "grpc";
        var transport = protocol switch
        {
            "grpc" => OtlpTransport.Grpc,
            "http/protobuf" => OtlpTransport.HttpProtobuf,
            _ => throw new OtlpSettingsException($"OTLP protocol '{protocol}' is not supported for script logs: use 'grpc' or 'http/protobuf'."),
        };

        var target = transport switch
        {
            OtlpTransport.Grpc => Append(uri, "opentelemetry.proto.collector.logs.v1.LogsService/Export"),
            // A signal-specific endpoint is the whole URL; the general one gets the signal's path (OTLP exporter spec).
            _ => signalEndpoint is not null ? uri : Append(uri, "v1/logs"),
        };

        var headers = ParseHeaders(Setting(setting, "OTEL_EXPORTER_OTLP_LOGS_HEADERS") ?? Setting(setting, "OTEL_EXPORTER_OTLP_HEADERS"));
        var rate = Setting(setting, "BRUMMER_OTEL_LOGS_RATE") is { } text
            ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw new OtlpSettingsException($"BRUMMER_OTEL_LOGS_RATE '{text}' is not a whole number of records per second (0 for no limit).")
            : DefaultMaxRecordsPerSecond;
        return new ScriptLogExportOptions(target, transport, headers) { MaxRecordsPerSecond = rate };
    }

    private static string? Setting(Func<string, string?> setting, string name) =>
        setting(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static Uri Append(Uri baseUri, string path) =>
        new(baseUri.AbsoluteUri.EndsWith('/') ? baseUri.AbsoluteUri + path : baseUri.AbsoluteUri + "/" + path);

    /// <summary><c>key1=value1,key2=value2</c>, values URL-encoded (the OTLP exporter spec's format).</summary>
    private static List<KeyValuePair<string, string>> ParseHeaders(string? text)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var pair in (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new OtlpSettingsException($"The OTLP header '{pair}' is not key=value (OTEL_EXPORTER_OTLP_HEADERS is key1=value1,key2=value2).");
            }

            headers.Add(new(pair[..equals].Trim(), WebUtility.UrlDecode(pair[(equals + 1)..].Trim())));
        }

        return headers;
    }
}

/// <summary>An OTEL_EXPORTER_OTLP_* setting that cannot be used; the message says what to write instead.</summary>
public sealed class OtlpSettingsException(string message) : Exception(message);
