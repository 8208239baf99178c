using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Threading.Channels;
using Brummer.Grains.Logs;
using Brummer.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Brummer.Grains.Telemetry;

/// <summary>
/// Sends the node's script output to an OTLP endpoint as logs: one loop that reads what each script printed from its
/// log buffer (<see cref="ScriptOutputExport"/>), batches it and sends it over one connection. Bounded on purpose: the
/// backlog is what the processes' log buffers hold anyway, and a line evicted before the loop read it (a script
/// printing faster than the endpoint takes it) is dropped and counted (<c>brummer.process.log.export.dropped</c>,
/// reason queue_full) instead of growing the node or slowing the capture; a batch the endpoint refuses or never answers
/// is dropped and counted too (reason failed). It sends at most <see cref="ScriptLogExportOptions.MaxRecordsPerSecond"/>
/// and encodes on a thread of its own at nice +10, like capture, so under contention status and control requests come
/// first. On shutdown what is pending is sent, within a bound.
/// </summary>
public sealed partial class ScriptLogExporter : BackgroundService
{
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(30);
    private static readonly MediaTypeHeaderValue Protobuf = new("application/x-protobuf");
    private static readonly MediaTypeHeaderValue Grpc = new("application/grpc");

    /// <summary>Where every node's export loop runs: one thread at nice +10, started with the first loop.</summary>
    private static readonly OutputScheduler ExportThread = new(threads: 1, niceness: 10);

    private readonly ScriptLogExportOptions _options;
    private readonly string _node;
    private readonly TimeProvider _time;
    private readonly ILogger<ScriptLogExporter> _logger;
    private readonly Channel<ScriptOutputExport> _ready = Channel.CreateUnbounded<ScriptOutputExport>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<ScriptOutputExport> _active = []; // scripts with output pending; the loop's own
    private readonly List<ScriptLogRecord> _errors = [];
    private readonly OtlpLogsRequest _request = new();
    private readonly HttpClient _http;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _sent;
    private readonly KeyValuePair<string, object?> _nodeTag;
    private ScriptOutputExport[] _pendingView = []; // what the queued gauge reads
    private readonly ExportPace _pace;
    private char[] _scratch = new char[1024];
    private int _round;
    private long _lastWarning = long.MinValue;

    public ScriptLogExporter(ScriptLogExportOptions options, string node, NodeMetrics metrics, TimeProvider time, ILogger<ScriptLogExporter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        _options = options;
        _node = node;
        _time = time;
        _logger = logger;
        _pace = new ExportPace(options.MaxRecordsPerSecond, time);
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) })
        {
            Timeout = Timeout.InfiniteTimeSpan, // each send has its own bound
        };
        _nodeTag = new(BrummerTelemetry.Attributes.Node, node);
        var meter = metrics.Meter;
        var queued = BrummerTelemetry.Node.LogExportQueued;
        _dropped = meter.CreateCounter(BrummerTelemetry.Node.LogExportDropped);
        _sent = meter.CreateCounter(BrummerTelemetry.Node.LogExported);
        meter.CreateObservableGauge(queued.Name, () => new Measurement<long>(Pending(Volatile.Read(ref _pendingView)), _nodeTag), queued.Unit, queued.Description);
    }

    /// <summary>Where records go.</summary>
    public Uri Endpoint => _options.Endpoint;

    /// <summary>The export of one script's output, read from <paramref name="log"/> from its current end on.</summary>
    public ScriptOutputExport For(string script, LogBuffer log)
    {
        ArgumentNullException.ThrowIfNull(log);
        return new(this, _node, script, log);
    }

    /// <summary>A script has output pending (it was not pending before): the loop picks it up.</summary>
    internal void Ready(ScriptOutputExport script) => _ready.Writer.TryWrite(script);

    /// <summary>Records that could not wait for export (an error block beyond its script's queue).</summary>
    internal void Dropped(long records) => _dropped.Add(records, _nodeTag, new(BrummerTelemetry.Attributes.Reason, "queue_full"));

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => ExportThread.Run(() => LoopAsync(stoppingToken));

    // ConfigureAwait(true) throughout: the loop resumes on the export thread (nice +10), not on the thread pool.
    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                if (_active.Count == 0 && !await _ready.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(true))
                {
                    return;
                }

                TakeReady();
                if (Pending(_active) < _options.MaxBatch)
                {
                    // Let a batch gather: a line waits at most this long for others to share its request.
                    await Task.Delay(_options.BatchDelay, _time, stoppingToken).ConfigureAwait(true);
                    TakeReady();
                }

                var wait = _pace.WaitFor((int)Math.Min(Pending(_active), _options.MaxBatch));
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, stoppingToken).ConfigureAwait(true);
                    TakeReady();
                }

                await SendRoundAsync(_pace.Allowance(_options.MaxBatch), CancellationToken.None).ConfigureAwait(true);
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
        _ready.Writer.TryComplete();
        if (ExecuteTask is { IsCompleted: false })
        {
            return; // the host's bound passed while the loop was still sending: what is pending stays unsent
        }

        TakeReady();
        while (!cancellationToken.IsCancellationRequested && _active.Count > 0)
        {
            await SendRoundAsync(_options.MaxBatch, cancellationToken).ConfigureAwait(false); // the last of it, unpaced
            TakeReady();
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    private void TakeReady()
    {
        while (_ready.Reader.TryRead(out var script))
        {
            _active.Add(script);
        }

        Volatile.Write(ref _pendingView, [.. _active]);
    }

    private static long Pending(IEnumerable<ScriptOutputExport> scripts) => scripts.Sum(s => s.Pending);

    /// <summary>
    /// One request: the waiting error records and lines of the pending scripts, up to a batch, taking turns so one
    /// flooding script does not hold back the others; scripts with nothing left leave the list.
    /// </summary>
    private async Task SendRoundAsync(int maxRecords, CancellationToken cancellationToken)
    {
        _request.Begin(_time.GetUtcNow());
        var count = _active.Count;
        var first = count == 0 ? 0 : _round++ % count;
        var dropped = 0L;
        for (var i = 0; i < count && _request.Records < maxRecords; i++)
        {
            var script = _active[(first + i) % count];
            var room = maxRecords - _request.Records;
            _errors.Clear();
            script.TakeErrors(_errors, room);
            _request.Script(script);
            foreach (var error in _errors)
            {
                _request.Error(error);
            }

            var (_, evicted) = script.TakeLines(room - _errors.Count, ref _scratch, _request);
            dropped += evicted;
            _request.EndScript();
        }

        _active.RemoveAll(script => !script.StillPending());
        Volatile.Write(ref _pendingView, [.. _active]);
        if (dropped > 0)
        {
            Dropped(dropped);
        }

        _pace.Spend(_request.Records);

        await SendAsync(_request.Records, cancellationToken).ConfigureAwait(true);
    }

    private async Task SendAsync(int records, CancellationToken cancellationToken)
    {
        if (records == 0)
        {
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.SendTimeout);
        try
        {
            using var request = Request(_request.Written);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(true);
            var refusal = Refusal(response);
            if (refusal is null)
            {
                _sent.Add(records, _nodeTag);
                return;
            }

            Failed(records, refusal, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            Failed(records, ex is OperationCanceledException ? $"no answer within {_options.SendTimeout.TotalSeconds:0} s" : ex.Message, ex);
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
