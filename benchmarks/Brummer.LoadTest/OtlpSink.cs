using System.Buffers;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Brummer.LoadTest;

/// <summary>
/// An OTLP/HTTP endpoint that only counts: every POST to <c>/v1/traces</c>, <c>/v1/metrics</c> or <c>/v1/logs</c> is
/// read to its end, its requests and bytes added up, and answered 200 with an empty body (an empty Export*ServiceResponse).
/// Nothing is kept, so a long flood does not grow it. One port per configuration under test, so each one's export is
/// counted apart although all run at once. It runs as a process of its own (this tool started with
/// <c>--otlp-sink N</c>), as a collector would, so that taking in a flood's export costs neither the measured
/// <c>brummer</c> processes nor the load tool's clients; its counters are read from a control port.
/// </summary>
internal sealed class OtlpSink : IAsyncDisposable
{
    public const string Argument = "--otlp-sink";

    public static readonly string[] Signals = ["traces", "metrics", "logs"];

    private readonly ChildProcess _process;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Uri _counts;

    private OtlpSink(ChildProcess process, IReadOnlyList<int> ports, int control)
    {
        _process = process;
        Ports = ports;
        _counts = new Uri($"http://127.0.0.1:{control}/counts");
    }

    /// <summary>The port of each sink, in order.</summary>
    public IReadOnlyList<int> Ports { get; }

    public int Pid => _process.Pid;

    public Uri Endpoint(int sink) => new($"http://127.0.0.1:{Ports[sink]}");

    /// <summary>Starts the sink process with <paramref name="sinks"/> ports (and a control port) and waits until it listens.</summary>
    public static async Task<OtlpSink> StartAsync(int sinks, string runDirectory, CancellationToken cancellationToken)
    {
        var process = ChildProcess.Start(
            "otlp-sink", typeof(OtlpSink).Assembly.Location, new Dictionary<string, string>(), Path.Combine(runDirectory, "otlp-sink.log"),
            Argument, sinks.ToString(CultureInfo.InvariantCulture));
        try
        {
            var line = await process.WaitForLineAsync(l => l.StartsWith("PORTS:", StringComparison.Ordinal), TimeSpan.FromSeconds(60), cancellationToken);
            var ports = line["PORTS:".Length..].Split(',', StringSplitOptions.TrimEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList();
            return new OtlpSink(process, ports[..^1], ports[^1]);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>The counters now: [sink, signal, (requests, bytes)] flattened; subtract two to get a window's.</summary>
    public async Task<long[]> SnapshotAsync(CancellationToken cancellationToken)
    {
        var text = await _http.GetStringAsync(_counts, cancellationToken);
        return [.. text.Split(',').Select(v => long.Parse(v, CultureInfo.InvariantCulture))];
    }

    public static long Requests(long[] snapshot, int sink, int signal) => snapshot[Index(sink, signal)];

    public static long Bytes(long[] snapshot, int sink, int signal) => snapshot[Index(sink, signal) + 1];

    public static long[] Delta(long[] end, long[] start) => [.. end.Select((v, i) => v - start[i])];

    private static int Index(int sink, int signal) => ((sink * Signals.Length) + signal) * 2;

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        try
        {
            await _process.StopAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }

        await _process.DisposeAsync();
    }

    /// <summary>The sink process: <paramref name="sinks"/> OTLP ports and a control port, printed as <c>PORTS: p1,...,control</c>; runs until SIGTERM.</summary>
    public static async Task<int> ServeAsync(int sinks)
    {
        var ports = Enumerable.Range(0, sinks + 1).Select(_ => BrummerCluster.FreePort()).ToList();
        var control = ports[^1];
        var sinkOfPort = ports[..^1].Select((port, i) => (port, i)).ToDictionary(p => p.port, p => p.i);
        var counters = new long[sinks * Signals.Length * 2];
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            foreach (var port in ports)
            {
                k.Listen(IPAddress.Loopback, port);
            }

            k.Limits.MaxRequestBodySize = 256 * 1024 * 1024;
        });
        await using var app = builder.Build();
        app.MapPost("/v1/{signal}", async (HttpContext context, string signal) =>
        {
            var s = Array.IndexOf(Signals, signal);
            if (s < 0 || !sinkOfPort.TryGetValue(context.Connection.LocalPort, out var sink))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            long bytes = 0;
            try
            {
                int read;
                while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
                {
                    bytes += read;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            Interlocked.Increment(ref counters[Index(sink, s)]);
            Interlocked.Add(ref counters[Index(sink, s) + 1], bytes);
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.ContentLength = 0;
        });
        app.MapGet("/counts", (HttpContext context) => context.Connection.LocalPort == control
            ? Results.Text(string.Join(',', counters.Select((_, i) => Interlocked.Read(ref counters[i]).ToString(CultureInfo.InvariantCulture))))
            : Results.NotFound());
        await app.StartAsync();
        Console.WriteLine($"PORTS: {string.Join(',', ports)}");
        await app.WaitForShutdownAsync();
        return 0;
    }
}
