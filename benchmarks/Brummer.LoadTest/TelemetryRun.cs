using System.Collections;
using System.Diagnostics;
using System.Globalization;

namespace Brummer.LoadTest;

/// <summary>
/// What OpenTelemetry export costs (issue 12): one cluster per <see cref="TelemetryConfig"/> (export off, on, on
/// without script logs), all started at once and each exporting to its own port of an <see cref="OtlpSink"/> in this
/// tool. The same closed loops then poll each cluster in turn, in short segments whose order rotates every round, so
/// every configuration sees the same background load of this shared machine: the comparison is within one run.
/// <list type="bullet">
/// <item>telemetry-status: churn's cluster (2 nodes + gateway, 100 scripts); raw MCP loops, with and without churn.</item>
/// <item>telemetry-flood: one <c>brummer up</c> each; one raw MCP client while the flood script prints flat out, and
/// while it does not; lines ingested (the flood's <c>last_seq</c>), lines exported and dropped (<c>/metrics</c>).</item>
/// </list>
/// </summary>
internal sealed class TelemetryRun(LoadTestOptions options)
{
    /// <summary>MCP clients polling status during the flood scenario: one, for latency (the flood owns a core).</summary>
    private const int FloodClients = 1;

    /// <summary>The segments' kinds, per configuration: mode = configuration × 2 + kind.</summary>
    private const int Quiet = 0;
    private const int Loaded = 1;

    public async Task<TelemetryReport> RunStatusAsync(string runDirectory, CancellationToken cancellationToken)
    {
        var configs = options.TelemetryInstances;
        var report = new TelemetryReport(options, flood: false) { LoadAverageBefore = LoadRun.LoadAverage() };
        report.ClearedVariables.AddRange(ClearOtelEnvironment());
        await using var sink = await OtlpSink.StartAsync(configs.Count, runDirectory, cancellationToken);
        var clusters = new List<BrummerCluster>();
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan }) { Timeout = TimeSpan.FromSeconds(30) };
        using var loops = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue });
        using var stopChurn = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var churning = new List<Task>();
        try
        {
            for (var c = 0; c < configs.Count; c++)
            {
                LoadRun.Log($"starting 2 nodes and a gateway, telemetry '{configs[c].Label}', from {options.BrummerDll}");
                clusters.Add(await BrummerCluster.StartAsync(
                    options, Path.Combine(runDirectory, configs[c].DirectoryName), cancellationToken, configs[c].Environment(sink.Endpoint(c)), configs[c].Args));
                report.Membership = clusters[c].Membership;
            }

            foreach (var cluster in clusters)
            {
                await cluster.WaitForNodesAsync(http, cancellationToken);
                await LoadRun.PrimeAsync(cluster, http, cancellationToken);
            }

            var churns = clusters.Select(cluster => new Churn(http, cluster.GatewayUrl, cluster.Scripts, options.ChurnRate, maxInFlight: 32) { Enabled = false }).ToList();
            foreach (var churn in churns)
            {
                churn.AssumeRunning();
                churning.Add(churn.RunAsync(stopChurn.Token));
            }

            var cpu = new CpuSampler([
                .. clusters.SelectMany((cluster, c) => new (string, int)[]
                {
                    (Role("gateway", c), cluster.Gateway.Pid), (Role("node a", c), cluster.NodeA.Pid), (Role("node b", c), cluster.NodeB.Pid),
                }),
                ("load tool", Environment.ProcessId),
                ("OTLP sink", sink.Pid),
            ]);
            var buffers = Enumerable.Range(0, options.Clients).Select(_ => RawMcp.NewBuffer()).ToArray();
            var current = 0;
            WorkerCall call = (i, ct) => RawMcp.StatusAsync(loops, clusters[Volatile.Read(ref current)].McpUrl, buffers[i], null, null, ct);
            for (var c = 0; c < configs.Count; c++)
            {
                Volatile.Write(ref current, c);
                report.WarmupSeconds += await LoadRun.WarmUpAsync($"MCP raw, '{configs[c].Label}'", options.Clients, call, options.JitWarmup, cpu, cancellationToken);
            }

            var plan = Plan(configs.Count);
            var windows = new Windows(configs.Count * 2);
            var sinkAt = Array.Empty<long>();
            LoadRun.Log($"{options.Clients} raw MCP loops over {configs.Count} clusters in turn: per round and cluster a {options.Segment.TotalSeconds:0} s churn segment then an idle one, {options.Rounds} rounds after an unmeasured churn segment each");
            var phases = await ClosedLoop.RunAsync(
                [.. configs.SelectMany(c => new[] { $"{c.Label}, idle", $"{c.Label}, churn" })],
                options.Clients,
                call,
                [.. plan.Select(p => p.Segment)],
                cpu,
                async (i, e, _) =>
                {
                    var (c, kind, segment) = plan[i];
                    switch (e)
                    {
                        case SegmentEvent.Start:
                            Volatile.Write(ref current, c);
                            for (var j = 0; j < churns.Count; j++)
                            {
                                churns[j].Enabled = j == c && kind == Loaded;
                            }

                            break;
                        case SegmentEvent.Measure when segment.Mode >= 0:
                            churns[c].Record(kind == Loaded);
                            sinkAt = await sink.SnapshotAsync(cancellationToken);
                            break;
                        case SegmentEvent.End when segment.Mode >= 0:
                            churns[c].Record(false);
                            windows.AddSink(segment.Mode, OtlpSink.Delta(await sink.SnapshotAsync(cancellationToken), sinkAt));
                            break;
                        default:
                            break;
                    }
                },
                cancellationToken);

            await stopChurn.CancelAsync();
            await Task.WhenAll(churning);
            for (var c = 0; c < configs.Count; c++)
            {
                await LoadRun.RecordPidsAsync(clusters[c], http, cancellationToken);
                report.Configs.Add(new TelemetryResult(
                    configs[c],
                    phases[(c * 2) + Quiet],
                    phases[(c * 2) + Loaded],
                    windows.Sink[(c * 2) + Quiet],
                    windows.Sink[(c * 2) + Loaded],
                    c)
                {
                    Churn = churns[c].Counters,
                    SinkTotal = await sink.SnapshotAsync(cancellationToken),
                });
            }
        }
        finally
        {
            await stopChurn.CancelAsync();
            await Task.WhenAll(churning.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
            LoadRun.Log("stopping the clusters");
            for (var c = clusters.Count - 1; c >= 0; c--)
            {
                await clusters[c].DisposeAsync();
            }
        }

        report.LoadAverageAfter = LoadRun.LoadAverage();
        return report;
    }

    public async Task<TelemetryReport> RunFloodAsync(string runDirectory, CancellationToken cancellationToken)
    {
        var configs = options.TelemetryInstances;
        var report = new TelemetryReport(options, flood: true) { LoadAverageBefore = LoadRun.LoadAverage() };
        report.ClearedVariables.AddRange(ClearOtelEnvironment());
        await using var sink = await OtlpSink.StartAsync(configs.Count, runDirectory, cancellationToken);
        var clusters = new List<BrummerCluster>();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var loops = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue });
        var floods = new List<FloodSwitch>();
        try
        {
            var scripts = new Dictionary<string, string> { [BrummerCluster.FloodScript] = BrummerCluster.FloodBody(options.FloodLineBytes) };
            for (var c = 0; c < configs.Count; c++)
            {
                LoadRun.Log($"starting `brummer up`, telemetry '{configs[c].Label}', from {options.BrummerDll}");
                clusters.Add(await BrummerCluster.StartEmbeddedAsync(
                    options, Path.Combine(runDirectory, configs[c].DirectoryName), scripts, cancellationToken, configs[c].Environment(sink.Endpoint(c)), configs[c].Args));
                report.Membership = clusters[c].Membership;
            }

            foreach (var cluster in clusters)
            {
                await cluster.WaitForNodesAsync(http, cancellationToken);
                await LoadRun.PrimeAsync(cluster, http, cancellationToken);
                floods.Add(new FloodSwitch(http, cluster.GatewayUrl));
            }

            var current = 0;
            var cpu = new CpuSampler([
                .. clusters.Select((cluster, c) => (Role("brummer up", c), (Func<int>)(() => cluster.Gateway.Pid))),
                ("flood script", () => floods[Volatile.Read(ref current)].Pid),
                ("load tool", () => Environment.ProcessId),
                ("OTLP sink", () => sink.Pid),
            ]);
            var buffers = Enumerable.Range(0, options.Clients).Select(_ => RawMcp.NewBuffer()).ToArray();
            WorkerCall call = (i, ct) => RawMcp.StatusAsync(loops, clusters[Volatile.Read(ref current)].McpUrl, buffers[i], null, null, ct);
            for (var c = 0; c < configs.Count; c++)
            {
                Volatile.Write(ref current, c);
                report.WarmupSeconds += await LoadRun.WarmUpAsync($"MCP raw, '{configs[c].Label}'", options.Clients, call, options.JitWarmup, cpu, cancellationToken);
            }

            var plan = Plan(configs.Count);
            var windows = new Windows(configs.Count * 2);
            var at = (Sequence: 0L, Time: 0L, Sink: Array.Empty<long>(), Export: default(ExportCounters));
            var rssAfterWarmup = new long[configs.Count];
            LoadRun.Log($"{FloodClients} raw MCP client over {configs.Count} `brummer up` in turn: per round and process a {options.Segment.TotalSeconds:0} s flood segment then an idle one, {options.Rounds} rounds after an unmeasured flood segment each");
            var phases = await ClosedLoop.RunAsync(
                [.. configs.SelectMany(c => new[] { $"{c.Label}, idle", $"{c.Label}, flood" })],
                FloodClients,
                call,
                [.. plan.Select(p => p.Segment)],
                cpu,
                async (i, e, _) =>
                {
                    var (c, kind, segment) = plan[i];
                    switch (e)
                    {
                        case SegmentEvent.Start:
                            Volatile.Write(ref current, c);
                            if (kind == Loaded)
                            {
                                await floods[c].StartAsync(cancellationToken);
                            }
                            else
                            {
                                await floods[c].StopAsync(cancellationToken);
                            }

                            if (segment.Mode >= 0 && rssAfterWarmup[c] == 0)
                            {
                                rssAfterWarmup[c] = FloodRun.ResidentBytes(clusters[c].Gateway.Pid);
                            }

                            break;
                        case SegmentEvent.Measure when segment.Mode >= 0:
                            at = (kind == Loaded ? await floods[c].LastSequenceAsync(cancellationToken) : 0, Stopwatch.GetTimestamp(), await sink.SnapshotAsync(cancellationToken),
                                await ExportCounters.ScrapeAsync(http, clusters[c].GatewayUrl, cancellationToken));
                            break;
                        case SegmentEvent.End when segment.Mode >= 0:
                            var lines = kind == Loaded ? await floods[c].LastSequenceAsync(cancellationToken) - at.Sequence : 0;
                            var export = await ExportCounters.ScrapeAsync(http, clusters[c].GatewayUrl, cancellationToken);
                            windows.AddSink(segment.Mode, OtlpSink.Delta(await sink.SnapshotAsync(cancellationToken), at.Sink));
                            windows.AddFlood(segment.Mode, lines, Stopwatch.GetElapsedTime(at.Time).TotalSeconds, export - at.Export, FloodRun.ResidentBytes(clusters[c].Gateway.Pid));
                            break;
                        default:
                            break;
                    }
                },
                cancellationToken);

            for (var c = 0; c < configs.Count; c++)
            {
                await floods[c].StopAsync(cancellationToken);
            }

            // Let the exporters send what they hold, then the totals: every line ingested is sent, dropped or still queued.
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            for (var c = 0; c < configs.Count; c++)
            {
                await LoadRun.RecordPidsAsync(clusters[c], http, cancellationToken);
                report.Configs.Add(new TelemetryResult(
                    configs[c],
                    phases[(c * 2) + Quiet],
                    phases[(c * 2) + Loaded],
                    windows.Sink[(c * 2) + Quiet],
                    windows.Sink[(c * 2) + Loaded],
                    c)
                {
                    Flood = windows.Flood[(c * 2) + Loaded],
                    SinkTotal = await sink.SnapshotAsync(cancellationToken),
                    ExportTotal = await ExportCounters.ScrapeAsync(http, clusters[c].GatewayUrl, cancellationToken),
                    LinesTotal = await floods[c].LastSequenceAsync(cancellationToken),
                    RssAfterWarmup = rssAfterWarmup[c],
                    RssMaxIdle = windows.Flood[(c * 2) + Quiet].MaxRss,
                    RssAtEnd = FloodRun.ResidentBytes(clusters[c].Gateway.Pid),
                });
            }
        }
        finally
        {
            foreach (var flood in floods)
            {
                try
                {
                    await flood.StopAsync(CancellationToken.None);
                }
                catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or TaskCanceledException)
                {
                }
            }

            LoadRun.Log("stopping the `brummer up` processes");
            for (var c = clusters.Count - 1; c >= 0; c--)
            {
                await clusters[c].DisposeAsync();
            }
        }

        report.LoadAverageAfter = LoadRun.LoadAverage();
        return report;
    }

    public static string Role(string role, int config) => $"{role} #{config}";

    /// <summary>
    /// An unmeasured loaded segment per configuration (warms its churn or flood paths), then rounds of (loaded, quiet)
    /// per configuration, the configurations' order rotated every round so none always follows the same one.
    /// </summary>
    private List<(int Config, int Kind, Segment Segment)> Plan(int configs)
    {
        var plan = new List<(int, int, Segment)>();
        for (var c = 0; c < configs; c++)
        {
            plan.Add((c, Loaded, new Segment(-1, options.Segment, options.Segment)));
        }

        for (var r = 0; r < options.Rounds; r++)
        {
            for (var k = 0; k < configs; k++)
            {
                var c = (k + r) % configs;
                plan.Add((c, Loaded, new Segment((c * 2) + Loaded, options.Segment, options.Settle)));
                plan.Add((c, Quiet, new Segment((c * 2) + Quiet, options.Segment, options.Settle)));
            }
        }

        return plan;
    }

    /// <summary>Removes every OTEL_* variable from this tool's environment, so only what a configuration sets reaches its processes.</summary>
    private static List<string> ClearOtelEnvironment()
    {
        var cleared = new List<string>();
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            if (variable.Key is string name && name.StartsWith("OTEL_", StringComparison.Ordinal))
            {
                Environment.SetEnvironmentVariable(name, null);
                cleared.Add(name);
            }
        }

        return cleared;
    }

    /// <summary>What the measured windows of each mode added up to.</summary>
    private sealed class Windows(int modes)
    {
        public long[][] Sink { get; } = [.. Enumerable.Range(0, modes).Select(_ => Array.Empty<long>())];

        public FloodWindows[] Flood { get; } = [.. Enumerable.Range(0, modes).Select(_ => new FloodWindows())];

        public void AddSink(int mode, long[] delta) =>
            Sink[mode] = Sink[mode].Length == 0 ? delta : [.. Sink[mode].Select((v, i) => v + delta[i])];

        public void AddFlood(int mode, long lines, double seconds, ExportCounters export, long rss)
        {
            var f = Flood[mode];
            f.Lines += lines;
            f.Seconds += seconds;
            f.Export += export;
            f.MaxRss = Math.Max(f.MaxRss, rss);
            f.Rss.Add(rss);
        }
    }
}

/// <summary>The flood windows of one configuration: lines the node took in, what its exporter did with them, its memory.</summary>
internal sealed class FloodWindows
{
    public long Lines { get; set; }

    public double Seconds { get; set; }

    public ExportCounters Export { get; set; }

    public long MaxRss { get; set; }

    /// <summary>RSS at the end of each window, in order.</summary>
    public List<long> Rss { get; } = [];

    public double Rate(double value) => Seconds > 0 ? value / Seconds : 0;
}

/// <summary>The script-log exporter's counters of a <c>brummer up</c>, from its Prometheus <c>/metrics</c>.</summary>
internal readonly record struct ExportCounters(double Sent, double QueueFull, double Failed, double Queued)
{
    public double Dropped => QueueFull + Failed;

    public static ExportCounters operator -(ExportCounters a, ExportCounters b) =>
        new(a.Sent - b.Sent, a.QueueFull - b.QueueFull, a.Failed - b.Failed, a.Queued);

    public static ExportCounters operator +(ExportCounters a, ExportCounters b) =>
        new(a.Sent + b.Sent, a.QueueFull + b.QueueFull, a.Failed + b.Failed, b.Queued);

    public static async Task<ExportCounters> ScrapeAsync(HttpClient http, Uri gateway, CancellationToken cancellationToken)
    {
        var text = await http.GetStringAsync(new Uri(gateway, "/metrics"), cancellationToken);
        return new ExportCounters(
            Sum(text, "brummer_process_log_export_sent_total", null),
            Sum(text, "brummer_process_log_export_dropped_total", "brummer_reason=\"queue_full\""),
            Sum(text, "brummer_process_log_export_dropped_total", "brummer_reason=\"failed\""),
            Sum(text, "brummer_process_log_export_queued", null));
    }

    /// <summary>The sum of a metric's samples (those with <paramref name="label"/>, if given) in Prometheus text format.</summary>
    private static double Sum(string text, string metric, string? label)
    {
        var sum = 0.0;
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(metric, StringComparison.Ordinal) || line.Length == metric.Length || line[metric.Length] is not ('{' or ' '))
            {
                continue;
            }

            if (label is not null && !line.Contains(label, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = line[(line.LastIndexOf('}') + 1)..].Trim();
            sum += double.Parse(rest.Split(' ')[0], CultureInfo.InvariantCulture);
        }

        return sum;
    }
}

/// <summary>One configuration's figures: status in the quiet and loaded segments, and what it exported meanwhile.</summary>
internal sealed record TelemetryResult(TelemetryConfig Config, PhaseResult Quiet, PhaseResult Loaded, long[] SinkQuiet, long[] SinkLoaded, int Index)
{
    public ChurnCounters? Churn { get; init; }

    public FloodWindows? Flood { get; init; }

    public long[] SinkTotal { get; init; } = [];

    public ExportCounters ExportTotal { get; init; }

    public long LinesTotal { get; init; }

    public long RssAfterWarmup { get; init; }

    public long RssMaxIdle { get; init; }

    public long RssAtEnd { get; init; }
}
