using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Threading.Channels;
using Brummer.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Brummer.Grains.Telemetry;

/// <summary>
/// Sends the node's script output to an OTLP endpoint as logs: one bounded queue, one loop that batches and sends, one
/// connection. Bounded on purpose: a script printing flat out fills the queue, and what does not fit is dropped and
/// counted (<c>brummer.process.log.export.dropped</c>, reason queue_full) instead of growing the node or slowing the
/// capture; a batch the endpoint refuses or never answers is dropped and counted too (reason failed). Nothing here
/// blocks a capture loop. On shutdown what is queued is sent, within a bound.
/// </summary>
public sealed partial class ScriptLogExporter : BackgroundService
{
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(30);
    private static readonly MediaTypeHeaderValue Protobuf = new("application/x-protobuf");
    private static readonly MediaTypeHeaderValue Grpc = new("application/grpc");

    private readonly ScriptLogExportOptions _options;
    private readonly string _node;
    private readonly TimeProvider _time;
    private readonly ILogger<ScriptLogExporter> _logger;
    private readonly Channel<ScriptLogRecord> _queue;
    private readonly HttpClient _http;
    private readonly ProtoWriter _writer = new();
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _sent;
    private readonly KeyValuePair<string, object?> _nodeTag;
    private long _lastWarning = long.MinValue;

    public ScriptLogExporter(ScriptLogExportOptions options, string node, NodeMetrics metrics, TimeProvider time, ILogger<ScriptLogExporter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        _options = options;
        _node = node;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<ScriptLogRecord>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // never waited on: TryWrite fails when full, and the record is counted
        });
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) })
        {
            Timeout = Timeout.InfiniteTimeSpan, // each send has its own bound
        };
        _nodeTag = new(BrummerTelemetry.Attributes.Node, node);
        var meter = metrics.Meter;
        var queued = BrummerTelemetry.Node.LogExportQueued;
        _dropped = meter.CreateCounter(BrummerTelemetry.Node.LogExportDropped);
        _sent = meter.CreateCounter(BrummerTelemetry.Node.LogExported);
        meter.CreateObservableGauge(queued.Name, () => new Measurement<int>(_queue.Reader.Count, _nodeTag), queued.Unit, queued.Description);
    }

    /// <summary>Where records go.</summary>
    public Uri Endpoint => _options.Endpoint;

    /// <summary>The export of one script's output.</summary>
    public ScriptOutputExport For(string script) => new(this, _node, script);

    internal void TryEnqueue(in ScriptLogRecord record)
    {
        if (!_queue.Writer.TryWrite(record))
        {
            _dropped.Add(1, _nodeTag, new(BrummerTelemetry.Attributes.Reason, "queue_full"));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<ScriptLogRecord>(_options.MaxBatch);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                await FillAsync(batch, stoppingToken).ConfigureAwait(false);
                await SendAsync(batch, CancellationToken.None).ConfigureAwait(false);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync sends what is left.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        _queue.Writer.TryComplete();
        var batch = new List<ScriptLogRecord>(_options.MaxBatch);
        while (!cancellationToken.IsCancellationRequested && _queue.Reader.TryPeek(out _))
        {
            while (batch.Count < _options.MaxBatch && _queue.Reader.TryRead(out var record))
            {
                batch.Add(record);
            }

            await SendAsync(batch, cancellationToken).ConfigureAwait(false);
            batch.Clear();
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    /// <summary>Takes what is queued, then waits up to the batch delay for more, until the batch is full.</summary>
    private async Task FillAsync(List<ScriptLogRecord> batch, CancellationToken stoppingToken)
    {
        using var delay = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        delay.CancelAfter(_options.BatchDelay);
        try
        {
            while (batch.Count < _options.MaxBatch)
            {
                if (_queue.Reader.TryRead(out var record))
                {
                    batch.Add(record);
                }
                else if (!await _queue.Reader.WaitToReadAsync(delay.Token).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // The batch delay passed: send what there is.
        }
    }

    private async Task SendAsync(List<ScriptLogRecord> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }

        _writer.Reset();
        OtlpLogsRequest.Write(_writer, batch, _time.GetUtcNow());
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.SendTimeout);
        try
        {
            using var request = Request(_writer.Written);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
            var refusal = Refusal(response);
            if (refusal is null)
            {
                _sent.Add(batch.Count, _nodeTag);
                return;
            }

            Failed(batch.Count, refusal, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            Failed(batch.Count, ex is OperationCanceledException ? $"no answer within {_options.SendTimeout.TotalSeconds:0} s" : ex.Message, ex);
        }
    }

    private HttpRequestMessage Request(ReadOnlyMemory<byte> payload)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _options.Endpoint);
        if (_options.Transport == OtlpTransport.Grpc)
        {
            // A unary gRPC call by hand: HTTP/2 (prior knowledge over http://), the message behind a 5-byte prefix
            // (not compressed, big-endian length), the outcome in the grpc-status trailer.
            var framed = new byte[payload.Length + 5];
            BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)payload.Length);
            payload.Span.CopyTo(framed.AsSpan(5));
            request.Version = HttpVersion.Version20;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
            request.Headers.TryAddWithoutValidation("te", "trailers");
            request.Content = new ByteArrayContent(framed) { Headers = { ContentType = Grpc } };
        }
        else
        {
            request.Content = new ReadOnlyMemoryContent(payload) { Headers = { ContentType = Protobuf } };
        }

        foreach (var (name, value) in _options.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }

    /// <summary>Why the endpoint did not take the batch, or null when it did.</summary>
    private string? Refusal(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            return $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
        }

        if (_options.Transport != OtlpTransport.Grpc)
        {
            return null;
        }

        // A trailers-only answer (an immediate error) carries grpc-status in the headers.
        var status = response.TrailingHeaders.TryGetValues("grpc-status", out var values) || response.Headers.TryGetValues("grpc-status", out values)
            ? values.FirstOrDefault()
            : null;
        if (status is "0")
        {
            return null;
        }

        var message = response.TrailingHeaders.TryGetValues("grpc-message", out var messages) || response.Headers.TryGetValues("grpc-message", out messages)
            ? Uri.UnescapeDataString(messages.FirstOrDefault() ?? string.Empty)
            : string.Empty;
        return $"gRPC status {status ?? "missing"} {message}".TrimEnd();
    }

    private void Failed(int records, string reason, Exception? exception)
    {
        _dropped.Add(records, _nodeTag, new(BrummerTelemetry.Attributes.Reason, "failed"));
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastWarning);
        if (last == long.MinValue || _time.GetElapsedTime(last, now) >= WarningInterval)
        {
            Interlocked.Exchange(ref _lastWarning, now);
            LogExportFailed(_logger, exception, records, _options.Endpoint, reason);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not export {Records} output lines as OpenTelemetry logs to {Endpoint} ({Reason}); they are dropped and counted. Said at most every 30 s.")]
    private static partial void LogExportFailed(ILogger logger, Exception? exception, int records, Uri endpoint, string reason);
}
