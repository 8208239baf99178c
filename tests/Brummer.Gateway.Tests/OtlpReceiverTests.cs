using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Brummer.Tests.Otlp;
using Google.Protobuf;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Brummer.Gateway.Tests;

/// <summary>
/// The OTLP receiver the other tests rely on, checked against the real OpenTelemetry .NET SDK and its OTLP exporter over
/// HTTP/protobuf: whatever the SDK sends must come out decoded exactly, or every test built on the receiver would be
/// checking the wrong thing.
/// </summary>
public sealed class OtlpReceiverTests : IAsyncLifetime
{
    private const string Service = "otlp-self-test";
    private const string SourceName = "Brummer.Tests.Otlp.Source";
    private const string MeterName = "Brummer.Tests.Otlp.Meter";
    private const string Category = "Brummer.Tests.Otlp.Category";

    private static readonly string[] Names = ["a", "b"];

    private OtlpReceiver _receiver = null!;

    public async ValueTask InitializeAsync() => _receiver = await OtlpReceiver.StartAsync();

    public async ValueTask DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task OtlpReceiver_SdkExportsSpans_DecodesIdsAttributesEventsLinksAndStatus()
    {
        using var source = new ActivitySource(SourceName, "2.0.0");
        await using var sdk = Pipeline(t => t.AddSource(SourceName));
        var tracer = sdk.GetRequiredService<TracerProvider>();
        var linked = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);

        string traceId, parentId, childId;
        using (var parent = source.StartActivity("parent", ActivityKind.Server)!)
        {
            using var child = source.StartActivity(
                ActivityKind.Client,
                tags: [new("text", "hello"), new("number", 42), new("ratio", 0.25), new("flag", true), new("names", Names)],
                links: [new ActivityLink(linked, new ActivityTagsCollection { ["why"] = "batch" })],
                name: "child")!;
            child.AddEvent(new ActivityEvent("checkpoint", tags: new ActivityTagsCollection { ["step"] = 3, ["note"] = "half way" }));
            child.SetStatus(ActivityStatusCode.Error, "it broke");
            traceId = parent.TraceId.ToHexString();
            parentId = parent.SpanId.ToHexString();
            childId = child.SpanId.ToHexString();
        }

        Assert.True(tracer.ForceFlush(30_000));

        var spans = await _receiver.WaitForSpansAsync(s => s.TraceId == traceId, count: 2);
        Assert.Equal(2, spans.Count);
        var parentSpan = Assert.Single(spans, s => s.Name == "parent");
        var childSpan = Assert.Single(spans, s => s.Name == "child");

        Assert.Equal(parentId, parentSpan.SpanId);
        Assert.Equal(string.Empty, parentSpan.ParentSpanId);
        Assert.Equal(OtlpSpanKind.Server, parentSpan.Kind);
        Assert.Equal(OtlpStatusCode.Unset, parentSpan.StatusCode);

        Assert.Equal(childId, childSpan.SpanId);
        Assert.Equal(parentId, childSpan.ParentSpanId);
        Assert.Equal(OtlpSpanKind.Client, childSpan.Kind);
        Assert.Equal(SourceName, childSpan.Scope.Name);
        Assert.Equal("2.0.0", childSpan.Scope.Version);
        Assert.Equal(Service, childSpan.Resource.GetString("service.name"));
        Assert.Equal("1.2.3", childSpan.Resource.GetString("service.version"));
        Assert.True(childSpan.Resource.Has("deployment.lane", 7), childSpan.Resource.ToString());
        Assert.True(childSpan.StartTimeUnixNano > 0 && childSpan.EndTimeUnixNano >= childSpan.StartTimeUnixNano);
        Assert.Equal(1u, childSpan.Flags & 0xFF); // sampled

        Assert.Equal("hello", childSpan.Attributes["text"]);
        Assert.Equal(42L, childSpan.Attributes["number"]);
        Assert.Equal(0.25, childSpan.Attributes["ratio"]);
        Assert.Equal(true, childSpan.Attributes["flag"]);
        Assert.Equal(Names, Assert.IsType<IReadOnlyList<object?>>(childSpan.Attributes["names"], exactMatch: false));

        var checkpoint = Assert.Single(childSpan.Events);
        Assert.Equal("checkpoint", checkpoint.Name);
        Assert.Equal(3L, checkpoint.Attributes["step"]);
        Assert.Equal("half way", checkpoint.Attributes["note"]);
        Assert.True(checkpoint.TimeUnixNano >= childSpan.StartTimeUnixNano);

        var link = Assert.Single(childSpan.Links);
        Assert.Equal(linked.TraceId.ToHexString(), link.TraceId);
        Assert.Equal(linked.SpanId.ToHexString(), link.SpanId);
        Assert.Equal("batch", link.Attributes["why"]);

        Assert.Equal(OtlpStatusCode.Error, childSpan.StatusCode);
        Assert.Equal("it broke", childSpan.StatusMessage);

        Assert.Empty(_receiver.Errors);
        Assert.True(_receiver.RequestCount(OtlpSignal.Traces) >= 1);
        Assert.Equal("abc 123", _receiver.LastHeaders?["x-brummer-test"]);
        Assert.Equal("application/x-protobuf", _receiver.LastHeaders?["content-type"]);
    }

    [Fact]
    public async Task OtlpReceiver_SdkExportsMetrics_DecodesKindsValuesAndAttributes()
    {
        using var meter = new Meter(MeterName, "3.1");
        await using var sdk = Pipeline(metrics: m => m
            .AddMeter(MeterName)
            .AddView("brummer.test.latency", new Base2ExponentialBucketHistogramConfiguration()));
        var meters = sdk.GetRequiredService<MeterProvider>();
        var requests = meter.CreateCounter<long>("brummer.test.requests", unit: "{request}", description: "Requests served.");
        var duration = meter.CreateHistogram<double>("brummer.test.duration", unit: "s", description: "How long a request took.");
        var latency = meter.CreateHistogram<double>("brummer.test.latency", unit: "ms");
        var running = meter.CreateUpDownCounter<int>("brummer.test.running");
        meter.CreateObservableGauge("brummer.test.load", () => 0.75, unit: "1");

        requests.Add(3, new KeyValuePair<string, object?>("route", "/a"));
        requests.Add(4, new KeyValuePair<string, object?>("route", "/a"));
        requests.Add(5, new KeyValuePair<string, object?>("route", "/b"), new KeyValuePair<string, object?>("ok", true));
        duration.Record(0.5, new KeyValuePair<string, object?>("route", "/a"));
        duration.Record(1.5, new KeyValuePair<string, object?>("route", "/a"));
        latency.Record(2.0);
        latency.Record(8.0);
        running.Add(2);
        running.Add(-1);

        Assert.True(meters.ForceFlush(30_000));

        var (counter, a) = await _receiver.WaitForDataPointAsync("brummer.test.requests", p => p.Attributes.Has("route", "/a"));
        Assert.Equal(OtlpMetricKind.Sum, counter.Kind);
        Assert.True(counter.IsMonotonic);
        Assert.Equal(OtlpTemporality.Cumulative, counter.Temporality);
        Assert.Equal("{request}", counter.Unit);
        Assert.Equal("Requests served.", counter.Description);
        Assert.Equal(MeterName, counter.Scope.Name);
        Assert.Equal("3.1", counter.Scope.Version);
        Assert.Equal(Service, counter.Resource.GetString("service.name"));
        Assert.Equal(7L, a.IntValue);
        Assert.Null(a.DoubleValue);
        var b = Assert.Single(counter.DataPoints, p => p.Attributes.Has("route", "/b"));
        Assert.Equal(5L, b.IntValue);
        Assert.Equal(true, b.Attributes["ok"]);

        var (histogram, point) = await _receiver.WaitForDataPointAsync("brummer.test.duration", p => p.Attributes.Has("route", "/a"));
        Assert.Equal(OtlpMetricKind.Histogram, histogram.Kind);
        Assert.Equal("s", histogram.Unit);
        Assert.Equal(2UL, point.Count);
        Assert.Equal(2.0, point.Sum);
        Assert.Equal(0.5, point.Min);
        Assert.Equal(1.5, point.Max);
        Assert.Equal(point.ExplicitBounds.Count + 1, point.BucketCounts.Count);
        Assert.Equal(2UL, point.BucketCounts.Aggregate(0UL, (sum, n) => sum + n));

        var (exponential, spread) = await _receiver.WaitForDataPointAsync("brummer.test.latency");
        Assert.Equal(OtlpMetricKind.ExponentialHistogram, exponential.Kind);
        Assert.Equal(2UL, spread.Count);
        Assert.Equal(10.0, spread.Sum);
        Assert.Equal(2.0, spread.Min);
        Assert.Equal(8.0, spread.Max);

        var (upDown, net) = await _receiver.WaitForDataPointAsync("brummer.test.running");
        Assert.Equal(OtlpMetricKind.Sum, upDown.Kind);
        Assert.False(upDown.IsMonotonic);
        Assert.Equal(1L, net.IntValue);

        var (gauge, load) = await _receiver.WaitForDataPointAsync("brummer.test.load");
        Assert.Equal(OtlpMetricKind.Gauge, gauge.Kind);
        Assert.Equal(OtlpTemporality.Unspecified, gauge.Temporality);
        Assert.Equal(0.75, load.DoubleValue);
        Assert.Equal(0.75, load.Value);

        Assert.Empty(_receiver.Errors);
    }

    [Fact]
    public async Task OtlpReceiver_SdkExportsLogs_DecodesSeverityBodyAttributesAndTraceContext()
    {
        using var source = new ActivitySource(SourceName);
        await using var sdk = Pipeline(t => t.AddSource(SourceName));
        var logs = sdk.GetRequiredService<LoggerProvider>();
        var logger = sdk.GetRequiredService<ILoggerFactory>().CreateLogger(Category);

        string traceId, spanId;
        using (var activity = source.StartActivity("with logs")!)
        {
            traceId = activity.TraceId.ToHexString();
            spanId = activity.SpanId.ToHexString();
            logger.LogInformation("Script {Script} started on port {Port}", "web", 5173);
            logger.LogError(new InvalidOperationException("exit code 3"), "Script {Script} failed", "build");
        }

        logger.LogWarning("No trace here");
        Assert.True(logs.ForceFlush(30_000));

        var info = Assert.Single(await _receiver.WaitForLogsAsync(l => l.Body == "Script web started on port 5173"));
        Assert.Equal(9, info.SeverityNumber);
        Assert.Equal("Information", info.SeverityText);
        Assert.Equal(Category, info.Scope.Name);
        Assert.Equal(Service, info.Resource.GetString("service.name"));
        Assert.Equal("web", info.Attributes["Script"]);
        Assert.Equal(5173L, info.Attributes["Port"]);
        Assert.Equal("Script {Script} started on port {Port}", info.Attributes["{OriginalFormat}"]);
        Assert.Equal(traceId, info.TraceId);
        Assert.Equal(spanId, info.SpanId);
        Assert.Equal(1u, info.Flags & 0xFF); // sampled
        Assert.True(info.TimeUnixNano > 0 && info.ObservedTimeUnixNano > 0);

        var error = Assert.Single(await _receiver.WaitForLogsAsync(l => l.SeverityNumber == 17));
        Assert.Equal("Error", error.SeverityText);
        Assert.Equal("Script build failed", error.Body);
        Assert.Equal("build", error.Attributes["Script"]);
        Assert.Equal(nameof(InvalidOperationException), error.Attributes["exception.type"]);
        Assert.Equal("exit code 3", error.Attributes["exception.message"]);
        Assert.Equal(traceId, error.TraceId);

        var warning = Assert.Single(await _receiver.WaitForLogsAsync(l => l.Body == "No trace here"));
        Assert.Equal(13, warning.SeverityNumber);
        Assert.Equal(string.Empty, warning.TraceId);
        Assert.Equal(string.Empty, warning.SpanId);

        Assert.Empty(_receiver.Errors);
    }

    [Fact]
    public async Task OtlpReceiver_ConfiguredLikeABrummerHost_ReceivesEverySignalOnItsPath()
    {
        // What a Brummer host does: UseOtlpExporter() reading OTEL_* keys from configuration (there, environment
        // variables), the base endpoint only; the SDK appends /v1/traces, /v1/metrics and /v1/logs itself.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = _receiver.Endpoint.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_EXPORTER_OTLP_HEADERS"] = "x-from-env=yes",
            ["OTEL_SERVICE_NAME"] = "from-env",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddOpenTelemetry()
            .WithTracing(t => t.AddSource(SourceName))
            .WithMetrics(m => m.AddMeter(MeterName))
            .WithLogging()
            .UseOtlpExporter();
        await using var sdk = services.BuildServiceProvider();
        var tracer = sdk.GetRequiredService<TracerProvider>();
        var meters = sdk.GetRequiredService<MeterProvider>();
        var logs = sdk.GetRequiredService<LoggerProvider>();
        using var source = new ActivitySource(SourceName);
        using var meter = new Meter(MeterName);

        source.StartActivity("from env")!.Dispose();
        meter.CreateCounter<int>("brummer.test.env").Add(1);
        sdk.GetRequiredService<ILoggerFactory>().CreateLogger(Category).LogInformation("from env");
        Assert.True(tracer.ForceFlush(30_000) & meters.ForceFlush(30_000) & logs.ForceFlush(30_000));

        var span = Assert.Single(await _receiver.WaitForSpansAsync(s => s.Name == "from env"));
        Assert.Equal("from-env", span.Resource.GetString("service.name"));
        Assert.Equal(1L, (await _receiver.WaitForDataPointAsync("brummer.test.env")).Point.IntValue);
        Assert.Single(await _receiver.WaitForLogsAsync(l => l.Body == "from env"));
        foreach (var signal in Enum.GetValues<OtlpSignal>())
        {
            var request = (await _receiver.WaitForRequestsAsync(signal))[0];
            Assert.Equal("yes", request.Headers["x-from-env"]);
        }

        Assert.Empty(_receiver.Errors);
    }

    [Fact]
    public async Task OtlpReceiver_GzipBody_DecodesAndAnswersEmptyResponse()
    {
        // ExportLogsServiceRequest { resource_logs(1) { scope_logs(2) { log_records(2) { severity_number(2): 21, body(5) { string_value(1) } } } } },
        // written from the spec's numbers independently of the receiver's table; gzip is what the OTel JS exporters send by default.
        var record = Message(r =>
        {
            r.WriteTag(2, WireFormat.WireType.Varint);
            r.WriteEnum(21);
            Nested(r, 5, Message(v =>
            {
                v.WriteTag(1, WireFormat.WireType.LengthDelimited);
                v.WriteString("squeezed");
            }));
        });
        var request = Message(o => Nested(o, 1, Message(rl => Nested(rl, 2, Message(sl => Nested(sl, 2, record))))));
        using var zipped = new MemoryStream();
        using (var gzip = new GZipStream(zipped, CompressionMode.Compress, leaveOpen: true))
        {
            gzip.Write(request);
        }

        using var http = new HttpClient();
        using var content = new ByteArrayContent(zipped.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        content.Headers.ContentEncoding.Add("gzip");

        using var response = await http.PostAsync(_receiver.LogsEndpoint, content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        var log = Assert.Single(await _receiver.WaitForLogsAsync(_ => true));
        Assert.Equal(21, log.SeverityNumber);
        Assert.Equal("squeezed", log.Body);
        Assert.Equal("gzip", _receiver.LastHeaders?["Content-Encoding"]);
        Assert.Empty(_receiver.Errors);
    }

    [Fact]
    public async Task OtlpReceiver_NotProtobuf_AnswersUnsupportedMediaTypeAndRecordsWhy()
    {
        using var http = new HttpClient();
        using var json = new StringContent("{}", Encoding.UTF8, "application/json");

        using var response = await http.PostAsync(_receiver.LogsEndpoint, json, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("application/json", Assert.Single(_receiver.Errors), StringComparison.Ordinal);
        Assert.Equal(1, _receiver.RequestCount(OtlpSignal.Logs));
        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => _receiver.WaitForLogsAsync(_ => true, timeout: TimeSpan.FromMilliseconds(200)));
        Assert.Contains("application/json", timeout.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// One SDK pipeline per test, built the way a host builds it (services.AddOpenTelemetry), exporting each signal to the
    /// receiver over OTLP/HTTP protobuf. Batching and the metric interval stay as they are: tests force a flush.
    /// </summary>
    private ServiceProvider Pipeline(Action<TracerProviderBuilder>? tracing = null, Action<MeterProviderBuilder>? metrics = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Information));
        services.AddOpenTelemetry()
            .ConfigureResource(r => r
                .AddService(Service, serviceVersion: "1.2.3")
                .AddAttributes([new("deployment.lane", 7)]))
            .WithTracing(t =>
            {
                tracing?.Invoke(t);
                t.AddOtlpExporter(o => Export(o, _receiver.TracesEndpoint));
            })
            .WithMetrics(m =>
            {
                metrics?.Invoke(m);
                m.AddOtlpExporter((o, reader) =>
                {
                    Export(o, _receiver.MetricsEndpoint);
                    reader.TemporalityPreference = MetricReaderTemporalityPreference.Cumulative;
                });
            })
            .WithLogging(l => l.AddOtlpExporter(o => Export(o, _receiver.LogsEndpoint)), o => o.IncludeFormattedMessage = true);
        var provider = services.BuildServiceProvider();
        // Building the providers is what starts them listening; a host's hosted service would do it at start.
        _ = provider.GetRequiredService<TracerProvider>();
        _ = provider.GetRequiredService<MeterProvider>();
        _ = provider.GetRequiredService<LoggerProvider>();
        return provider;
    }

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var bytes = new MemoryStream();
        using (var output = new CodedOutputStream(bytes, leaveOpen: true))
        {
            write(output);
        }

        return bytes.ToArray();
    }

    private static void Nested(CodedOutputStream output, int field, byte[] message)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(message));
    }

    private static void Export(OtlpExporterOptions options, Uri endpoint)
    {
        options.Protocol = OtlpExportProtocol.HttpProtobuf;
        options.Endpoint = endpoint;
        options.Headers = "x-brummer-test=abc 123";
    }
}
