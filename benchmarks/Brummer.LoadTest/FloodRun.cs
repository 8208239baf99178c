using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Brummer.LoadTest;

/// <summary>
/// The flood scenario: one <c>brummer up</c> (node and gateway share a process, its thread pool and its GC, as on a
/// developer's machine), 50 long scripts listed in every answer, and one script printing lines as fast as its pipe
/// takes them. MCP clients call scripts_status without pause while the flood is switched on and off in alternate
/// segments, first with one client (latency), then with <c>--clients</c> (a saturated machine): each flood figure
/// has its idle baseline from the same run. Ingestion is read from the flood's own sequence numbers (logs_tail).
/// </summary>
internal sealed class FloodRun(LoadTestOptions options)
{
    private const int Idle = 0;
    private const int Flooding = 1;

    public async Task<FloodReport> RunAsync(string runDirectory, CancellationToken cancellationToken)
    {
        var report = new FloodReport(options) { LoadAverageBefore = LoadRun.LoadAverage() };
        LoadRun.Log($"starting `brummer up` from {options.BrummerDll}");
        await using var brummer = await BrummerCluster.StartEmbeddedAsync(
            options, runDirectory, new Dictionary<string, string> { [BrummerCluster.FloodScript] = BrummerCluster.FloodBody(options.FloodLineBytes) }, cancellationToken);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        await brummer.WaitForNodesAsync(http, cancellationToken);
        LoadRun.Log($"{brummer.GatewayUrl} lists the stack; starting its {options.ScriptsPerNode} long scripts");
        await LoadRun.PrimeAsync(brummer, http, cancellationToken);

        var flood = new FloodSwitch(http, brummer.GatewayUrl);
        var cpu = new CpuSampler([("brummer up", () => brummer.Gateway.Pid), ("flood script", () => flood.Pid), ("load tool", () => Environment.ProcessId)]);
        var clients = await LoadRun.ConnectAsync(brummer.McpUrl, options.Clients, cancellationToken);
        try
        {
            report.WarmupSeconds = await LoadRun.WarmUpAsync(
                "MCP", options.Clients, (i, ct) => LoadRun.StatusAsync(clients[i], null, null, ct), options.JitWarmup, cpu, cancellationToken);
            foreach (var count in new[] { 1, options.Clients }.Distinct())
            {
                report.Passes.Add(await PassAsync(count, clients, flood, brummer.Gateway.Pid, cpu, cancellationToken));
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }

            await flood.StopAsync(CancellationToken.None);
        }

        report.LoadAverageAfter = LoadRun.LoadAverage();
        report.StatusAnswerBytes = (await http.GetByteArrayAsync(new Uri(brummer.GatewayUrl, "/api/processes"), cancellationToken)).Length;
        LoadRun.Log("stopping brummer up");
        return report;
    }

    /// <summary>An unmeasured flood segment (warms the ingestion path), then rounds of (flood, idle).</summary>
    private async Task<FloodPass> PassAsync(
        int count, List<ModelContextProtocol.Client.McpClient> clients, FloodSwitch flood, int brummerPid, CpuSampler cpu, CancellationToken cancellationToken)
    {
        var segments = new List<Segment> { new(-1, options.Segment, options.Segment) };
        var floods = new List<bool> { true };
        for (var r = 0; r < options.Rounds; r++)
        {
            segments.Add(new Segment(Flooding, options.Segment, options.Settle));
            floods.Add(true);
            segments.Add(new Segment(Idle, options.Segment, options.Settle));
            floods.Add(false);
        }

        var ingested = 0L;
        var ingestSeconds = 0.0;
        var windowStart = (Sequence: 0L, At: 0L);
        var rss = new[] { 0L, 0L };
        LoadRun.Log($"pass with {count} MCP client(s): flood switched on and off every {options.Segment.TotalSeconds:0} s, {options.Rounds} rounds after an unmeasured flood segment");
        var phases = await ClosedLoop.RunAsync(
            [$"{count} client(s), idle", $"{count} client(s), flood"],
            count,
            (i, ct) => LoadRun.StatusAsync(clients[i], null, null, ct),
            segments,
            cpu,
            async (i, e, _) =>
            {
                switch (e)
                {
                    case SegmentEvent.Start when floods[i]:
                        await flood.StartAsync(cancellationToken);
                        break;
                    case SegmentEvent.Start:
                        await flood.StopAsync(cancellationToken);
                        break;
                    case SegmentEvent.Measure when segments[i].Mode == Flooding:
                        windowStart = (await flood.LastSequenceAsync(cancellationToken), Stopwatch.GetTimestamp());
                        break;
                    case SegmentEvent.End when segments[i].Mode >= 0:
                        if (segments[i].Mode == Flooding)
                        {
                            var sequence = await flood.LastSequenceAsync(cancellationToken);
                            ingested += sequence - windowStart.Sequence;
                            ingestSeconds += Stopwatch.GetElapsedTime(windowStart.At).TotalSeconds;
                        }

                        rss[segments[i].Mode] = Math.Max(rss[segments[i].Mode], ResidentBytes(brummerPid));
                        break;
                    default:
                        break;
                }
            },
            cancellationToken);
        return new FloodPass(count, phases[Idle], phases[Flooding], ingested, ingestSeconds, rss[Idle], rss[Flooding]);
    }

    internal static long ResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}

/// <summary>One client count's figures: status with and without the flood, and what the node took in meanwhile.</summary>
internal sealed record FloodPass(
    int Clients, PhaseResult Idle, PhaseResult Flood, long LinesIngested, double IngestSeconds, long MaxRssIdle, long MaxRssFlood)
{
    public double LinesPerSecond => IngestSeconds > 0 ? LinesIngested / IngestSeconds : 0;

    public double P99Ratio => Flood.Latency.P99 / Idle.Latency.P99;
}
