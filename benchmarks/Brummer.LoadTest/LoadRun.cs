using System.Buffers;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ModelContextProtocol.Client;
using static Brummer.LoadTest.RunDescription;

namespace Brummer.LoadTest;

/// <summary>
/// One run: start the cluster, start every script once (so every answer lists 100 processes), then, against the same
/// gateway: two raw HTTP baselines, MCP clients on an idle cluster, and MCP clients while the churn runs.
/// </summary>
internal sealed class LoadRun(LoadTestOptions options)
{
    private const string StatusTool = "scripts_status";
    private const int Idle = 0;
    private const int Churning = 1;

    /// <summary>Raw loops that read each answer for staleness (the others only check it is a result).</summary>
    private const int Observers = 4;

    public async Task<LoadReport> RunAsync(string runDirectory, CancellationToken cancellationToken)
    {
        var report = new LoadReport(options) { LoadAverageBefore = LoadAverage() };
        Log($"starting 2 nodes and a gateway from {options.BrummerDll}");
        await using var cluster = await BrummerCluster.StartAsync(options, runDirectory, cancellationToken);
        report.Membership = cluster.Membership;
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        await cluster.WaitForNodesAsync(http, cancellationToken);
        Log($"gateway {cluster.GatewayUrl} sees nodes a and b; starting all {cluster.Scripts.Count} scripts once");
        await PrimeAsync(cluster, http, cancellationToken);

        var cpu = new CpuSampler([("gateway", cluster.Gateway.Pid), ("node a", cluster.NodeA.Pid), ("node b", cluster.NodeB.Pid), ("load tool", Environment.ProcessId)]);
        report.ResponseBytes = await ResponseSizesAsync(cluster, http, cancellationToken);

        Log($"connecting {options.Clients} MCP clients to {cluster.McpUrl}");
        var clients = await ConnectAsync(cluster.McpUrl, options.Clients, cancellationToken);
        try
        {
            // One warm-up for the whole run, so that no measured phase pays for JIT tiering of the gateway's hot paths
            // (slow on a loaded 2-core machine): load in 5 s slices until the rate stops rising.
            using var floorHttp = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue });
            var processesUri = new Uri(cluster.GatewayUrl, "/api/processes");
            var buffers = Enumerable.Range(0, options.Clients).Select(_ => RawMcp.NewBuffer()).ToArray();
            report.WarmupSeconds = await WarmUpAsync("MCP", options.Clients, (i, ct) => StatusAsync(clients[i], null, null, ct), options.JitWarmup, cpu, cancellationToken);
            report.WarmupSeconds += await WarmUpAsync("JSON API", options.Clients, (i, ct) => GetAsync(floorHttp, processesUri, buffers[i], ct), options.JitWarmup / 2, cpu, cancellationToken);

            // Baselines: the HTTP floor, and the same status over the JSON API (no MCP), same gateway, same 64 loops.
            foreach (var (name, path) in new[] { ("HTTP floor: GET /healthz", "/healthz"), ("JSON API: GET /api/processes", "/api/processes") })
            {
                var uri = new Uri(cluster.GatewayUrl, path);
                Log($"phase '{name}': {options.Clients} loops, {options.Warmup.TotalSeconds:0} s warm-up + {options.FloorDuration.TotalSeconds:0} s");
                report.Phases.Add(await ClosedLoop.RunAsync(name, options.Clients, (i, ct) => GetAsync(floorHttp, uri, buffers[i], ct), options.Warmup, options.FloorDuration, cpu, cancellationToken));
            }

            // The figure and its baseline: 64 loops polling without pause while the churn is switched on and off in
            // alternate segments (churn, idle, churn, idle, ...; the last one idle, so that exits at the end of a churn
            // segment are still seen). First with the light raw JSON-RPC client (the first 4 loops read each answer for
            // staleness, the others check it is a result), then with the official C# client, one per loop.
            var churn = new Churn(http, cluster.GatewayUrl, cluster.Scripts, options.ChurnRate, maxInFlight: 32) { Enabled = false };
            churn.AssumeRunning();
            using var stopChurn = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var churning = churn.RunAsync(stopChurn.Token);

            var staleness = new StalenessTracker("b", BrummerCluster.ShortPrefix);
            var seen = Seen(options.Clients);
            var raw = await AlternateAsync(
                $"MCP raw JSON-RPC {StatusTool}", churn, staleness,
                (i, ct) => RawMcp.StatusAsync(floorHttp, cluster.McpUrl, buffers[i], i < Observers ? staleness : null, seen[i], ct), cpu, cancellationToken);
            report.Phases.AddRange(raw);
            report.Staleness = staleness.Result();
            report.MeasurementGap = raw[Churning].Latency.Count == 0 ? double.NaN : raw[Churning].Duration.TotalMilliseconds * options.Clients / ((double)raw[Churning].Latency.Count * Observers);

            // The target as a service level: the same light client asking at a set rate over the same number of
            // connections, whether or not earlier calls have answered, so each latency is counted from when the call
            // was due (no coordinated omission) and the gateway is not pushed past what it can serve, which the loops
            // above do by design (there, latency is clients / throughput plus the tail of a saturated machine).
            if (options.PacedRate > 0)
            {
                using var pacedHttp = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Clients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan });
                var pace = TimeSpan.FromSeconds(options.Clients / options.PacedRate);
                report.Phases.AddRange(await AlternateAsync(
                    Invariant($"MCP raw JSON-RPC {StatusTool}{LoadReport.PacedMark}{options.PacedRate:N0}/s"), churn, staleness: null,
                    (_, ct) => PacedStatusAsync(pacedHttp, cluster.McpUrl, ct), cpu, cancellationToken, pace));
            }

            var officialStaleness = new StalenessTracker("b", BrummerCluster.ShortPrefix);
            var officialSeen = Seen(options.Clients);
            var official = await AlternateAsync(
                $"MCP official client {StatusTool}", churn, officialStaleness,
                (i, ct) => StatusAsync(clients[i], officialStaleness, officialSeen[i], ct), cpu, cancellationToken);
            report.Phases.AddRange(official);
            report.Churn = churn.Counters;
            report.OfficialStaleness = officialStaleness.Result();

            // Staleness baseline: the same churn, one raw client reading every answer, so what is left is propagation.
            var quiet = new StalenessTracker("b", BrummerCluster.ShortPrefix);
            var quietSeen = new Dictionary<string, DateTime>(StringComparer.Ordinal);
            churn.Enabled = true;
            Log($"phase 'MCP + churn, 1 client' (staleness baseline): {options.Warmup.TotalSeconds:0} s warm-up + {options.BaselineDuration.TotalSeconds:0} s");
            report.Phases.Add(await ClosedLoop.RunAsync(
                [$"MCP raw JSON-RPC {StatusTool}, churn, 1 client"],
                1,
                (_, ct) => RawMcp.StatusAsync(floorHttp, cluster.McpUrl, buffers[0], quiet, quietSeen, ct),
                [new Segment(0, options.Warmup + options.BaselineDuration, options.Warmup)],
                cpu,
                (_, e, at) =>
                {
                    if (e == SegmentEvent.Measure)
                    {
                        // The last second is left out: an exit stamped then may be seen only after the window closes.
                        quiet.AddWindow(at, at + options.BaselineDuration - TimeSpan.FromSeconds(1));
                    }

                    return Task.CompletedTask;
                },
                cancellationToken).ContinueWith(t => t.Result[0], cancellationToken, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default));
            report.QuietStaleness = quiet.Result();
            await stopChurn.CancelAsync();
            await churning;
            await RecordPidsAsync(cluster, http, cancellationToken);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }

        report.LoadAverageAfter = LoadAverage();
        Log("stopping the gateway and the nodes");
        return report;
    }

    /// <summary>
    /// One continuous run of <paramref name="call"/> on every loop: an unmeasured churn segment (it warms the churn's own
    /// paths in the gateway), then rounds of a churn segment and an idle segment; returns [idle, churn].
    /// </summary>
    private async Task<PhaseResult[]> AlternateAsync(
        string label, Churn churn, StalenessTracker? staleness, WorkerCall call, CpuSampler cpu, CancellationToken cancellationToken, TimeSpan? pace = null)
    {
        var segments = new[] { new Segment(-1, options.Segment, options.Segment) }
            .Concat(Enumerable.Range(0, options.Rounds)
                .SelectMany(_ => new[] { new Segment(Churning, options.Segment, options.Settle), new Segment(Idle, options.Segment, options.Settle) }))
            .ToList();
        Log($"phase '{label}, idle / churn': {options.Clients} {(pace is null ? "loops" : "paced callers")}, churn at {options.ChurnRate}/s switched on and off every {options.Segment.TotalSeconds:0} s, {options.Rounds} rounds after an unmeasured churn segment ({options.Settle.TotalSeconds:0} s settling after each switch)");
        return await ClosedLoop.RunAsync(
            [$"{label}, idle cluster", $"{label}, churn"],
            options.Clients,
            call,
            segments,
            cpu,
            (i, e, at) =>
            {
                var churnSegment = segments[i].Mode == Churning;
                switch (e)
                {
                    case SegmentEvent.Start:
                        churn.Enabled = segments[i].Mode != Idle;
                        break;
                    case SegmentEvent.Measure when churnSegment:
                        churn.Record(true);
                        staleness?.AddWindow(at, at + (segments[i].Length - segments[i].Settle));
                        break;
                    case SegmentEvent.End when churnSegment:
                        churn.Record(false);
                        break;
                    default:
                        break;
                }

                return Task.CompletedTask;
            },
            pace,
            cancellationToken);
    }

    /// <summary>A raw status call with a buffer of its own: a paced caller may have several calls in flight.</summary>
    private static async Task<(bool Ok, string? Error)> PacedStatusAsync(HttpClient http, Uri mcp, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(RawMcp.BufferSize);
        try
        {
            return await RawMcp.StatusAsync(http, mcp, buffer, null, null, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static Dictionary<string, DateTime>[] Seen(int clients) =>
        [.. Enumerable.Range(0, clients).Select(_ => new Dictionary<string, DateTime>(StringComparer.Ordinal))];

    /// <summary>5 s slices of load until one is less than 5 % faster than the best before it (or the time is up); seconds spent.</summary>
    public static async Task<double> WarmUpAsync(string what, int clients, WorkerCall call, TimeSpan limit, CpuSampler cpu, CancellationToken cancellationToken)
    {
        var slice = TimeSpan.FromSeconds(5);
        var best = 0.0;
        var spent = TimeSpan.Zero;
        Log($"warm-up ({what}): {clients} loops in {slice.TotalSeconds:0} s slices until the rate stops rising, at most {limit.TotalSeconds:0} s");
        while (spent < limit)
        {
            var result = await ClosedLoop.RunAsync($"warm-up ({what})", clients, call, TimeSpan.Zero, slice, cpu, cancellationToken);
            spent += slice;
            Log($"  warm-up ({what}): {result.CallsPerSecond:0} calls/s");
            if (spent >= 2 * slice && result.CallsPerSecond < best * 1.05)
            {
                break;
            }

            best = Math.Max(best, result.CallsPerSecond);
        }

        return spent.TotalSeconds;
    }

    /// <summary>Runs every script once; long ones keep running. Returns once the gateway lists them all, short ones exited.</summary>
    public static async Task PrimeAsync(BrummerCluster cluster, HttpClient http, CancellationToken cancellationToken)
    {
        var primed = cluster.Primed.ToList();
        await Parallel.ForEachAsync(
            primed,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (script, ct) =>
            {
                using var response = await http.PostAsync(new Uri(cluster.GatewayUrl, $"/api/processes/{script.Node}/{script.Name}/run"), null, ct);
                response.EnsureSuccessStatusCode();
            });

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var processes = (await http.GetFromJsonAsync<JsonElement>(new Uri(cluster.GatewayUrl, "/api/processes"), cancellationToken)).GetProperty("processes");
            var settled = processes.EnumerateArray().Count(p => p.GetProperty("status").GetString() is "running" or "succeeded");
            var shortActive = processes.EnumerateArray().Count(p => p.GetProperty("name").GetString()!.StartsWith(BrummerCluster.ShortPrefix, StringComparison.Ordinal) &&
                p.GetProperty("status").GetString() is not "succeeded");
            if (processes.GetArrayLength() == primed.Count && settled == primed.Count && shortActive == 0)
            {
                await RecordPidsAsync(cluster, http, cancellationToken);
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"after starting every script, the gateway still lists {processes.GetArrayLength()} processes, {settled} settled");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    internal static async Task RecordPidsAsync(BrummerCluster cluster, HttpClient http, CancellationToken cancellationToken)
    {
        var processes = (await http.GetFromJsonAsync<JsonElement>(new Uri(cluster.GatewayUrl, "/api/processes"), cancellationToken)).GetProperty("processes");
        foreach (var process in processes.EnumerateArray())
        {
            if (process.GetProperty("pid") is { ValueKind: JsonValueKind.Number } pid)
            {
                cluster.ScriptPids.Add(pid.GetInt32());
            }
        }
    }

    public static async Task<List<McpClient>> ConnectAsync(Uri mcp, int count, CancellationToken cancellationToken)
    {
        var clients = new List<McpClient>();
        for (var i = 0; i < count; i++)
        {
            clients.Add(await McpClient.CreateAsync(
                new HttpClientTransport(new HttpClientTransportOptions { Endpoint = mcp, TransportMode = HttpTransportMode.StreamableHttp }),
                cancellationToken: cancellationToken));
        }

        return clients;
    }

    public static async Task<(bool Ok, string? Error)> StatusAsync(
        McpClient client, StalenessTracker? staleness, Dictionary<string, DateTime>? seen, CancellationToken cancellationToken)
    {
        var sent = staleness is null ? default : DateTime.UtcNow;
        var result = await client.CallToolAsync(StatusTool, cancellationToken: cancellationToken);
        if (result.IsError is true)
        {
            return (false, "IsError: " + string.Join(" ", result.Content.OfType<ModelContextProtocol.Protocol.TextContentBlock>().Select(c => c.Text)));
        }

        if (result.StructuredContent is not { } structured)
        {
            return (false, "no structured content");
        }

        staleness?.Observe(structured, sent, DateTime.UtcNow, seen!);
        return (true, null);
    }

    /// <summary>A GET read the way the raw MCP client reads its answers (into the loop's buffer), so both cost the tool alike.</summary>
    public static async Task<(bool Ok, string? Error)> GetAsync(HttpClient http, Uri uri, byte[] buffer, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return (false, $"HTTP {(int)response.StatusCode}");
        }

        return await RawMcp.ReadBodyAsync(response, buffer, cancellationToken) < 0 ? (false, "an answer larger than the buffer") : (true, null);
    }

    public static async Task<(bool Ok, string? Error)> GetAsync(HttpClient http, Uri uri, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseContentRead, cancellationToken);
        return response.IsSuccessStatusCode ? (true, null) : (false, $"HTTP {(int)response.StatusCode}");
    }

    /// <summary>Bytes of one answer of each kind, as sent on the wire (the MCP one by a raw tools/call POST).</summary>
    private static async Task<Dictionary<string, long>> ResponseSizesAsync(BrummerCluster cluster, HttpClient http, CancellationToken cancellationToken)
    {
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal)
        {
            ["/healthz"] = (await http.GetByteArrayAsync(new Uri(cluster.GatewayUrl, "/healthz"), cancellationToken)).Length,
            ["/api/processes"] = (await http.GetByteArrayAsync(new Uri(cluster.GatewayUrl, "/api/processes"), cancellationToken)).Length,
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, cluster.McpUrl)
        {
            Content = new StringContent(
                """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"scripts_status","arguments":{}}}""",
                Encoding.UTF8,
                "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        sizes[$"/mcp tools/call ({response.Content.Headers.ContentType?.MediaType}, HTTP {(int)response.StatusCode})"] = body.Length;
        return sizes;
    }

    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    public static void Log(string message) => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {message}");
}
