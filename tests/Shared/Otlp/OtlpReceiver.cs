using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Brummer.Tests.Otlp;

/// <summary>
/// A real OTLP/HTTP endpoint inside a test, so a test checks what Brummer actually puts on the wire (not what an
/// in-memory exporter was handed): Kestrel on 127.0.0.1 and a free port, answering POST <c>/v1/traces</c>,
/// <c>/v1/metrics</c> and <c>/v1/logs</c> (<c>application/x-protobuf</c>, optionally gzip) with an empty
/// <c>Export*ServiceResponse</c>, and decoding each request into records a test can wait for.
/// </summary>
/// <remarks>
/// Point a process at <see cref="Endpoint"/> with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> and
/// <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c> (the SDK appends the signal paths); an exporter configured in code
/// with HttpProtobuf needs the full path (<see cref="TracesEndpoint"/> and its siblings). OTLP/JSON and gRPC are not
/// served: a JSON request is answered 415 and recorded in <see cref="Errors"/>.
/// </remarks>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<ReceivedSpan> _spans = [];
    private readonly List<ReceivedMetric> _metrics = [];
    private readonly List<ReceivedLog> _logs = [];
    private readonly List<ReceivedRequest> _requests = [];
    private readonly List<string> _errors = [];
    private WebApplication? _app;
    private TaskCompletionSource _arrived = NewSignal();

    private OtlpReceiver()
    {
    }

    /// <summary>The base address, e.g. <c>http://127.0.0.1:41234/</c>: the value for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public Uri Endpoint { get; private set; } = null!;

    public Uri TracesEndpoint => new(Endpoint, "v1/traces");

    public Uri MetricsEndpoint => new(Endpoint, "v1/metrics");

    public Uri LogsEndpoint => new(Endpoint, "v1/logs");

    /// <summary>Every span received so far, in arrival order.</summary>
    public IReadOnlyList<ReceivedSpan> Spans => Snapshot(_spans);

    /// <summary>Every metric received so far, in arrival order (one entry per metric per export).</summary>
    public IReadOnlyList<ReceivedMetric> Metrics => Snapshot(_metrics);

    /// <summary>Every log record received so far, in arrival order.</summary>
    public IReadOnlyList<ReceivedLog> Logs => Snapshot(_logs);

    /// <summary>Every request that reached a signal's path, decoded or not, in arrival order.</summary>
    public IReadOnlyList<ReceivedRequest> Requests => Snapshot(_requests);

    /// <summary>Why a request was refused (wrong content type, undecodable body): a non-empty list is a finding.</summary>
    public IReadOnlyList<string> Errors => Snapshot(_errors);

    /// <summary>The headers of the last request of any signal (null before the first): where an
    /// <c>OTEL_EXPORTER_OTLP_HEADERS</c> value shows up.</summary>
    public IReadOnlyDictionary<string, string>? LastHeaders
    {
        get
        {
            lock (_gate)
            {
                return _requests.Count == 0 ? null : _requests[^1].Headers;
            }
        }
    }

    /// <param name="grpc">Serve OTLP/gRPC instead (HTTP/2 without TLS, the unary Export calls of the three services).</param>
    public static async Task<OtlpReceiver> StartAsync(bool grpc = false)
    {
        var receiver = new OtlpReceiver();
        // The content root is the test's output folder, so no appsettings.json of the working directory is read.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
            listen.Protocols = grpc ? Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2 : Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1AndHttp2));
        var app = builder.Build();
        app.MapPost("/v1/traces", context => receiver.ReceiveAsync(context, OtlpSignal.Traces));
        app.MapPost("/v1/metrics", context => receiver.ReceiveAsync(context, OtlpSignal.Metrics));
        app.MapPost("/v1/logs", context => receiver.ReceiveAsync(context, OtlpSignal.Logs));
        app.MapPost("/opentelemetry.proto.collector.trace.v1.TraceService/Export", context => receiver.ReceiveAsync(context, OtlpSignal.Traces));
        app.MapPost("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", context => receiver.ReceiveAsync(context, OtlpSignal.Metrics));
        app.MapPost("/opentelemetry.proto.collector.logs.v1.LogsService/Export", context => receiver.ReceiveAsync(context, OtlpSignal.Logs));
        await app.StartAsync(TestContext.Current.CancellationToken);
        receiver._app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        receiver.Endpoint = new Uri(address.EndsWith('/') ? address : address + "/");
        return receiver;
    }

    public int RequestCount(OtlpSignal signal)
    {
        lock (_gate)
        {
            return _requests.Count(r => r.Signal == signal);
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> received spans match; returns all that match, in arrival order.</summary>
    public Task<IReadOnlyList<ReceivedSpan>> WaitForSpansAsync(Func<ReceivedSpan, bool> match, int count = 1, TimeSpan? timeout = null) =>
        WaitForAsync(_spans, match, count, "spans", timeout);

    /// <summary>Waits until at least <paramref name="count"/> received metrics match; returns all that match, in arrival order.</summary>
    public Task<IReadOnlyList<ReceivedMetric>> WaitForMetricsAsync(Func<ReceivedMetric, bool> match, int count = 1, TimeSpan? timeout = null) =>
        WaitForAsync(_metrics, match, count, "metrics", timeout);

    /// <summary>Waits until at least <paramref name="count"/> received log records match; returns all that match, in arrival order.</summary>
    public Task<IReadOnlyList<ReceivedLog>> WaitForLogsAsync(Func<ReceivedLog, bool> match, int count = 1, TimeSpan? timeout = null) =>
        WaitForAsync(_logs, match, count, "log records", timeout);

    /// <summary>Waits until at least <paramref name="count"/> requests of <paramref name="signal"/> (matching, if given) arrived.</summary>
    public Task<IReadOnlyList<ReceivedRequest>> WaitForRequestsAsync(OtlpSignal signal, Func<ReceivedRequest, bool>? match = null, int count = 1, TimeSpan? timeout = null) =>
        WaitForAsync(_requests, r => r.Signal == signal && (match is null || match(r)), count, $"{signal} requests", timeout);

    /// <summary>
    /// Waits for a data point of the metric named <paramref name="metricName"/> that matches (e.g. on its attributes or
    /// value), and returns the most recent one with its metric: a cumulative metric comes again with every export, so the
    /// latest point is its current value.
    /// </summary>
    public async Task<(ReceivedMetric Metric, ReceivedDataPoint Point)> WaitForDataPointAsync(
        string metricName, Func<ReceivedDataPoint, bool>? match = null, TimeSpan? timeout = null)
    {
        var metrics = await WaitForAsync(
            _metrics, m => m.Name == metricName && m.DataPoints.Any(p => match is null || match(p)), 1, $"a data point of '{metricName}'", timeout);
        var metric = metrics[^1];
        return (metric, metric.DataPoints.Last(p => match is null || match(p)));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task ReceiveAsync(HttpContext context, OtlpSignal signal)
    {
        var request = context.Request;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in request.Headers)
        {
            headers[name] = values.ToString();
        }

        byte[] body;
        string? error = null;
        using (var buffer = new MemoryStream())
        {
            await request.Body.CopyToAsync(buffer, context.RequestAborted);
            body = buffer.ToArray();
        }

        var received = new ReceivedRequest(signal, headers, body.Length);
        IReadOnlyList<ReceivedSpan> spans = [];
        IReadOnlyList<ReceivedMetric> metrics = [];
        IReadOnlyList<ReceivedLog> logs = [];
        var mediaType = request.ContentType?.Split(';')[0].Trim();
        var isGrpc = string.Equals(mediaType, "application/grpc", StringComparison.OrdinalIgnoreCase);
        var isProtobuf = isGrpc || string.Equals(mediaType, "application/x-protobuf", StringComparison.OrdinalIgnoreCase);
        if (isGrpc)
        {
            // One length-prefixed message: a compressed flag (0 here), then its length, big-endian.
            if (body.Length >= 5 && body[0] == 0 && System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1)) == body.Length - 5)
            {
                body = body[5..];
            }
            else
            {
                error = $"{signal}: a gRPC body of {body.Length} bytes is not one uncompressed message";
                isProtobuf = false;
            }
        }

        if (error is not null)
        {
            // Framing already refused.
        }
        else if (!isProtobuf)
        {
            error = $"{signal}: content type '{request.ContentType}' (only application/x-protobuf is served)";
        }
        else
        {
            try
            {
                var encoding = request.Headers.ContentEncoding.ToString();
                if (string.Equals(encoding, "gzip", StringComparison.OrdinalIgnoreCase))
                {
                    body = Gunzip(body);
                }
                else if (encoding.Length > 0)
                {
                    throw new InvalidDataException($"content encoding '{encoding}' is not served");
                }

                switch (signal)
                {
                    case OtlpSignal.Traces: spans = OtlpDecoder.DecodeTraces(body); break;
                    case OtlpSignal.Metrics: metrics = OtlpDecoder.DecodeMetrics(body); break;
                    default: logs = OtlpDecoder.DecodeLogs(body); break;
                }
            }
#pragma warning disable CA1031 // Whatever breaks the decoding is reported to the test (Errors, timeout messages), not swallowed.
            catch (Exception e)
#pragma warning restore CA1031
            {
                error = $"{signal}: undecodable body of {body.Length} bytes ({e.GetType().Name}: {e.Message})";
            }
        }

        TaskCompletionSource arrived;
        lock (_gate)
        {
            _requests.Add(received);
            _spans.AddRange(spans);
            _metrics.AddRange(metrics);
            _logs.AddRange(logs);
            if (error is not null)
            {
                _errors.Add(error);
            }

            arrived = _arrived;
            _arrived = NewSignal();
        }

        arrived.TrySetResult();
        if (error is not null && !isGrpc)
        {
            context.Response.StatusCode = isProtobuf ? StatusCodes.Status400BadRequest : StatusCodes.Status415UnsupportedMediaType;
            await context.Response.WriteAsync(error, context.RequestAborted);
            return;
        }

        if (isGrpc)
        {
            // The empty response message, framed; the outcome in the trailer.
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/grpc";
            await context.Response.Body.WriteAsync(new byte[5], context.RequestAborted);
            context.Response.AppendTrailer("grpc-status", error is null ? "0" : "3");
            return;
        }

        // An Export*ServiceResponse with no partial_success set: the empty message, zero bytes.
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/x-protobuf";
        context.Response.ContentLength = 0;
    }

    private static byte[] Gunzip(byte[] body)
    {
        using var gzip = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gzip.CopyTo(plain);
        return plain.ToArray();
    }

    private async Task<IReadOnlyList<T>> WaitForAsync<T>(List<T> items, Func<T, bool> match, int count, string what, TimeSpan? timeout)
    {
        ArgumentNullException.ThrowIfNull(match);
        // Exports are batched and follow real processes (a run's span leaves when the run ends): on a busy 2-core machine
        // that can take several times what one status change does, so the receiver's bound is generous.
        var limit = timeout ?? 3 * Eventually.DefaultTimeout;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Task arrived;
            T[] seen;
            lock (_gate)
            {
                arrived = _arrived.Task;
                seen = [.. items];
            }

            var matching = seen.Where(match).ToArray();
            if (matching.Length >= count)
            {
                return matching;
            }

            try
            {
                await arrived.WaitAsync(limit - clock.Elapsed > TimeSpan.Zero ? limit - clock.Elapsed : TimeSpan.Zero, TestContext.Current.CancellationToken);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException(
                    $"Timed out after {limit} waiting for {count} matching {what}; {matching.Length} matched. " +
                    $"Requests: {RequestCount(OtlpSignal.Traces)} traces, {RequestCount(OtlpSignal.Metrics)} metrics, {RequestCount(OtlpSignal.Logs)} logs. " +
                    $"Errors: [{string.Join("; ", Errors)}]. Last {what} received (of {seen.Length}):{Environment.NewLine}" +
                    string.Join(Environment.NewLine, seen.TakeLast(20)));
            }
        }
    }

    private T[] Snapshot<T>(List<T> items)
    {
        lock (_gate)
        {
            return [.. items];
        }
    }
}
