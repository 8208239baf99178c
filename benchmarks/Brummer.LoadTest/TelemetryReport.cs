using System.Text;
using static Brummer.LoadTest.RunDescription;

namespace Brummer.LoadTest;

/// <summary>What a telemetry run measured, as the markdown pasted into docs/benchmarks.md ("Cost of telemetry").</summary>
internal sealed class TelemetryReport(LoadTestOptions options, bool flood) : IReport
{
    /// <summary>The issue's bound: export on may cost status p99 at most 10 %.</summary>
    private const double TargetP99Ratio = 1.10;

    public DateTime StartedAt { get; } = DateTime.UtcNow;

    public string Membership { get; set; } = "?";

    public string LoadAverageBefore { get; set; } = "?";

    public string LoadAverageAfter { get; set; } = "?";

    public double WarmupSeconds { get; set; }

    public List<string> ClearedVariables { get; } = [];

    public List<TelemetryResult> Configs { get; } = [];

    private const string Quiet = "idle";

    private string Loaded => flood ? "flood" : "churn";

    public string ToMarkdown(string[] args)
    {
        var s = new StringBuilder();
        s.AppendLine(Invariant($"### Run of {StartedAt:yyyy-MM-dd HH:mm} UTC ({(flood ? "telemetry-flood" : "telemetry-status")})"));
        s.AppendLine();
        AppendMachine(s, options, args);
        if (flood)
        {
            s.AppendLine(Invariant($"| Brummer | per configuration {(options.Replicas > 1 ? Invariant($"{options.Replicas} `dotnet brummer.dll up` processes") : "one `dotnet brummer.dll up` process")} (node `{BrummerCluster.EmbeddedNode}` and gateway share it); all {Configs.Count} run at once, only the one measured is loaded |"));
            s.AppendLine(Invariant($"| scripts | {options.ScriptsPerNode} `exec sleep 3600` (running, listed in every answer) and `{BrummerCluster.FloodScript}`: `exec yes '<{options.FloodLineBytes - 1} printable bytes>'` ({options.FloodLineBytes}-byte lines), through a stand-in `npm` |"));
        }
        else
        {
            s.AppendLine(Invariant($"| cluster | per configuration{(options.Replicas > 1 ? Invariant($" {options.Replicas} clusters of") : string.Empty)} 3 OS processes (`brummer node --name a`, `... b`, `brummer gateway`), {Membership}; all {Configs.Count} clusters run at once, only the one measured is loaded |"));
            s.AppendLine(Invariant($"| scripts | {options.ScriptsPerNode} per node: half `exec sleep 3600`, half `sleep {options.ShortLifetime.TotalSeconds:0.###}; date +%s%N`, through a stand-in `npm` |"));
        }

        s.AppendLine(Invariant($"| telemetry | {string.Join("; ", Configs.Select(c => c.Config).DistinctBy(c => c.Name).Select(c => $"**{c.Name}**: {c.Describe}"))}. The sink: Kestrel in a process of its own (the load tool with `--otlp-sink`), one port per {(options.Replicas > 1 ? "process" : "configuration")}, counts requests and bytes of `POST /v1/{{traces,metrics,logs}}` and answers 200 with an empty body |"));
        if (ClearedVariables.Count > 0)
        {
            s.AppendLine(Invariant($"| cleared | the load tool's own {string.Join(", ", ClearedVariables)} (so `off` exports nothing) |"));
        }

        s.AppendLine(Invariant($"| load average (1/5/15 min) | before {LoadAverageBefore}, after {LoadAverageAfter} |"));
        s.AppendLine();
        var clients = flood ? 1 : options.Clients;
        s.AppendLine(flood
            ? Invariant($"One raw MCP client (one JSON-RPC `tools/call scripts_status` POST after another, no pause) polls each `brummer up` in turn. {WarmupSeconds:0} s of warm-up first ({options.Clients} raw loops on each, until the rate stopped rising), then an unmeasured flood segment on each, then {options.Rounds} rounds; in each round, for every configuration (order rotated each round), a {options.Segment.TotalSeconds:0} s segment with its flood script running, then a {options.Segment.TotalSeconds:0} s segment with it stopped; the first {options.Settle.TotalSeconds:0} s after each switch not measured. Lines ingested: the flood's `last_seq` (JSON API logs tail) at both ends of each measured flood window; exported and dropped: `brummer_process_log_export_sent_total` and `..._dropped_total{{brummer_reason}}` of the process's `/metrics` at the same moments.")
            : Invariant($"{options.Clients} raw MCP loops (one JSON-RPC `tools/call scripts_status` POST after another over pooled keep-alive connections, no pause) poll each cluster in turn. {WarmupSeconds:0} s of warm-up first (on each cluster, until the rate stopped rising), then an unmeasured churn segment on each, then {options.Rounds} rounds; in each round, for every configuration (order rotated each round), a {options.Segment.TotalSeconds:0} s segment with its churn on ({options.ChurnRate:0.#} control calls/s through the JSON API), then a {options.Segment.TotalSeconds:0} s segment with it off; the first {options.Settle.TotalSeconds:0} s after each switch not measured."));
        s.AppendLine();

        s.AppendLine(Invariant($"| telemetry | segment | calls | calls/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors | {(flood ? "`brummer up`" : "gateway")} CPU | its CPU per call |"));
        s.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var c in Configs)
        {
            foreach (var (p, label) in new[] { (c.Quiet, Quiet), (c.Loaded, $"**{Loaded}**") })
            {
                var cpu = HostCpu(p, c.Index);
                s.AppendLine(Invariant(
                    $"| {c.Config.Label} | {label} | {p.Latency.Count:N0} | {p.CallsPerSecond:N0} | {p.Latency.P50:0.00} | {p.Latency.P90:0.00} | **{p.Latency.P99:0.00}** | {p.Latency.P999:0.00} | {p.Latency.Max:0.0} | {p.Errors} | {cpu:0.00} | {cpu * 1000 / p.CallsPerSecond:0.000} ms |"));
            }
        }

        s.AppendLine();
        foreach (var p in Configs.SelectMany(c => new[] { c.Quiet, c.Loaded }).Where(p => p.ErrorSamples.Count > 0))
        {
            s.AppendLine(Invariant($"Errors in '{p.Name}', first ones: {string.Join("; ", p.ErrorSamples.Select(e => $"`{Trim(e)}`"))}"));
            s.AppendLine();
        }

        if (flood)
        {
            AppendFlood(s);
        }
        else
        {
            AppendChurn(s);
        }

        s.AppendLine("What the sink received during the measured windows, per second of window (requests/s, KB/s):");
        s.AppendLine();
        s.AppendLine("| telemetry | segment | traces | metrics | logs |");
        s.AppendLine("|---|---|---:|---:|---:|");
        foreach (var c in Configs.Where(c => c.Config.Export))
        {
            foreach (var (sink, p, label) in new[] { (c.SinkQuiet, c.Quiet, Quiet), (c.SinkLoaded, c.Loaded, Loaded) })
            {
                string Cell(int signal) => sink.Length == 0 ? "-" : Invariant(
                    $"{OtlpSink.Requests(sink, c.Index, signal) / p.Duration.TotalSeconds:0.0} req/s, {OtlpSink.Bytes(sink, c.Index, signal) / 1024.0 / p.Duration.TotalSeconds:N0} KB/s");
                s.AppendLine(Invariant($"| {c.Config.Label} | {label} | {Cell(0)} | {Cell(1)} | {Cell(2)} |"));
            }
        }

        s.AppendLine();
        if (options.Replicas > 1)
        {
            AppendPooled(s);
        }
        else if (Configs.FirstOrDefault(c => !c.Config.Export) is { } off)
        {
            s.AppendLine(Invariant($"Cost against `{off.Config.Name}`, same run (target: status p99 with export on ≤ {TargetP99Ratio:0.00}× off):"));
            s.AppendLine();
            s.AppendLine(Invariant($"| segment | telemetry | p99 × off | p50 × off | calls/s × off | {(flood ? "`brummer up`" : "gateway")} CPU per call × off |{(flood ? " flood lines/s × off |" : string.Empty)} p99 ≤ {TargetP99Ratio:0.00}× off |"));
            s.AppendLine(Invariant($"|---|---|---:|---:|---:|---:|{(flood ? "---:|" : string.Empty)}---|"));
            foreach (var (pick, label) in new (Func<TelemetryResult, PhaseResult>, string)[] { (r => r.Quiet, Quiet), (r => r.Loaded, Loaded) })
            {
                var b = pick(off);
                foreach (var c in Configs.Where(c => c.Config.Export))
                {
                    var p = pick(c);
                    var ratio = p.Latency.P99 / b.Latency.P99;
                    var cpuRatio = HostCpu(p, c.Index) / p.CallsPerSecond / (HostCpu(b, off.Index) / b.CallsPerSecond);
                    var lines = flood && label == Loaded && off.Flood is { } of && c.Flood is { } cf ? Invariant($" {cf.Rate(cf.Lines) / of.Rate(of.Lines):0.00} |") : flood ? " - |" : string.Empty;
                    s.AppendLine(Invariant(
                        $"| {label} | {c.Config.Name} | **{ratio:0.00}** | {p.Latency.P50 / b.Latency.P50:0.00} | {p.CallsPerSecond / b.CallsPerSecond:0.00} | {cpuRatio:0.00} |{lines} {Verdict(ratio <= TargetP99Ratio)} |"));
                }
            }

            s.AppendLine();
        }

        s.AppendLine(Invariant($"Errors: {Configs.Sum(c => c.Quiet.Errors + c.Loaded.Errors)} status{(flood ? string.Empty : Invariant($", {Configs.Sum(c => c.Churn?.Errors ?? 0)} churn"))} ({clients} client{(clients == 1 ? string.Empty : "s")})."));
        return s.ToString();
    }

    private void AppendChurn(StringBuilder s)
    {
        s.AppendLine("CPU in cores during the measured windows (/proc utime+stime; 1.00 = one core busy), and the churn each cluster got:");
        s.AppendLine();
        s.AppendLine("| telemetry | segment | gateway | node a | node b | load tool | OTLP sink | machine busy | churn control calls/s (errors) |");
        s.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var c in Configs)
        {
            foreach (var (p, label) in new[] { (c.Quiet, Quiet), (c.Loaded, Loaded) })
            {
                var churn = label == Loaded && c.Churn is { } ch ? Invariant($"{ch.Actions / p.Duration.TotalSeconds:0.0} ({ch.Errors})") : "-";
                s.AppendLine(Invariant(
                    $"| {c.Config.Label} | {label} | {Self(p, TelemetryRun.Role("gateway", c.Index)):0.00} | {Self(p, TelemetryRun.Role("node a", c.Index)):0.00} | {Self(p, TelemetryRun.Role("node b", c.Index)):0.00} | {Self(p, "load tool"):0.00} | {Self(p, "OTLP sink"):0.00} | {p.Cpu.MachineBusy:0.00} of {p.Cpu.Cores} | {churn} |"));
            }
        }

        s.AppendLine();
    }

    private void AppendFlood(StringBuilder s)
    {
        s.AppendLine("Ingestion and export during the measured flood windows (lines/s), CPU in cores, RSS of the `brummer up` process (after warm-up → highest at the end of a flood window → at the end of the run):");
        s.AppendLine();
        s.AppendLine("| telemetry | flood lines/s | exported lines/s | dropped, queue full /s | dropped, failed /s | (sent + dropped) ÷ lines | `brummer up` CPU idle → flood | flood script CPU | OTLP sink CPU, flood | RSS |");
        s.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var c in Configs)
        {
            if (c.Flood is not { } f)
            {
                continue;
            }

            var exported = c.Config.Export && c.Config.OutputLogs;
            s.AppendLine(Invariant(
                $"| {c.Config.Label} | **{f.Rate(f.Lines):N0}** | {(exported ? Invariant($"{f.Rate(f.Export.Sent):N0}") : "-")} | {(exported ? Invariant($"{f.Rate(f.Export.QueueFull):N0}") : "-")} | {(exported ? Invariant($"{f.Rate(f.Export.Failed):N0}") : "-")} | {(exported && f.Lines > 0 ? Invariant($"{(f.Export.Sent + f.Export.Dropped) / f.Lines:0.000}") : "-")} | {HostCpu(c.Quiet, c.Index):0.00} → {HostCpu(c.Loaded, c.Index):0.00} | {Self(c.Loaded, "flood script"):0.00} | {Self(c.Loaded, "OTLP sink"):0.00} | {c.RssAfterWarmup / 1048576.0:0} → {f.MaxRss / 1048576.0:0} → {c.RssAtEnd / 1048576.0:0} MiB |"));
        }

        s.AppendLine();
        s.AppendLine("Whole run, unmeasured segments included, read 2 s after the last flood stopped (lines: the flood's `last_seq`; the exporter's counters from `/metrics`; the sink's count of `/v1/logs` requests):");
        s.AppendLine();
        s.AppendLine("| telemetry | lines printed and ingested | sent | dropped (queue full) | dropped (failed) | still queued | not accounted for | sink: log requests, MB | records per request |");
        s.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var c in Configs.Where(c => c.Config.Export && c.Config.OutputLogs))
        {
            var e = c.ExportTotal;
            var requests = c.SinkTotal.Length == 0 ? 0 : OtlpSink.Requests(c.SinkTotal, c.Index, 2);
            var bytes = c.SinkTotal.Length == 0 ? 0 : OtlpSink.Bytes(c.SinkTotal, c.Index, 2);
            s.AppendLine(Invariant(
                $"| {c.Config.Label} | {c.LinesTotal:N0} | {e.Sent:N0} | {e.QueueFull:N0} | {e.Failed:N0} | {e.Queued:N0} | {c.LinesTotal - e.Sent - e.Dropped - e.Queued:N0} | {requests:N0}, {bytes / 1048576.0:N0} MB | {(requests > 0 ? e.Sent / requests : 0):0} |"));
        }

        s.AppendLine();
    }

    /// <summary>
    /// Each configuration's figures over all of its processes (every call to any of them, pooled), against `off`'s
    /// pooled; and each process's p99 against `off`'s pooled, so the spread among the `off` processes shows how far two
    /// processes of the same build differ in this run.
    /// </summary>
    private void AppendPooled(StringBuilder s)
    {
        var groups = Configs.GroupBy(c => c.Config.Name).ToList();
        if (groups.FirstOrDefault(g => !g.First().Config.Export) is not { } off)
        {
            return;
        }

        s.AppendLine(Invariant($"Pooled over the {options.Replicas} processes of each configuration (every call to any of them), against `{off.Key}`'s pool, same run (target: status p99 with export on ≤ {TargetP99Ratio:0.00}× off); last column: each process's own p99 against `{off.Key}`'s pool (the spread of `{off.Key}`'s own processes is this run's process-to-process noise):"));
        s.AppendLine();
        s.AppendLine(Invariant($"| segment | telemetry | calls | p50 ms | p99 ms | p99 × off | p50 × off | calls/s × off | {(flood ? "`brummer up`" : "gateway")} CPU per call × off |{(flood ? " flood lines/s × off |" : string.Empty)} p99 ≤ {TargetP99Ratio:0.00}× off | each process's p99 × off |"));
        s.AppendLine(Invariant($"|---|---|---:|---:|---:|---:|---:|---:|---:|{(flood ? "---:|" : string.Empty)}---|---|"));
        foreach (var (pick, label) in new (Func<TelemetryResult, PhaseResult>, string)[] { (r => r.Quiet, Quiet), (r => r.Loaded, Loaded) })
        {
            var b = Pool(off, pick);
            foreach (var g in groups)
            {
                var p = Pool(g, pick);
                var ratio = p.Latency.P99 / b.Latency.P99;
                var lines = flood && label == Loaded ? Invariant($" {p.LinesPerSecond / b.LinesPerSecond:0.00} |") : flood ? " - |" : string.Empty;
                var each = string.Join(", ", g.Select(c => Invariant($"{pick(c).Latency.P99 / b.Latency.P99:0.00}")));
                s.AppendLine(Invariant(
                    $"| {label} | {g.Key} | {p.Latency.Count:N0} | {p.Latency.P50:0.00} | **{p.Latency.P99:0.00}** | **{ratio:0.00}** | {p.Latency.P50 / b.Latency.P50:0.00} | {p.CallsPerSecond / b.CallsPerSecond:0.00} | {p.CpuPerCall / b.CpuPerCall:0.00} |{lines} {(g.First().Config.Export ? Verdict(ratio <= TargetP99Ratio) : "baseline")} | {each} |"));
            }
        }

        s.AppendLine();
    }

    /// <summary>One configuration's processes as one: latencies pooled, rates and CPU per call over their summed windows.</summary>
    private Pooled Pool(IEnumerable<TelemetryResult> processes, Func<TelemetryResult, PhaseResult> pick)
    {
        var list = processes.ToList();
        var latency = LatencySummary.From(list.SelectMany(c => pick(c).Logs));
        var seconds = list.Sum(c => pick(c).Duration.TotalSeconds);
        var cpuSeconds = list.Sum(c => HostCpu(pick(c), c.Index) * pick(c).Duration.TotalSeconds);
        var floods = list.Select(c => c.Flood).OfType<FloodWindows>().ToList();
        var lineSeconds = floods.Sum(f => f.Seconds);
        return new Pooled(
            latency,
            seconds > 0 ? latency.Count / seconds : 0,
            latency.Count > 0 ? cpuSeconds / latency.Count : 0,
            lineSeconds > 0 ? floods.Sum(f => f.Lines) / lineSeconds : 0);
    }

    private sealed record Pooled(LatencySummary Latency, double CallsPerSecond, double CpuPerCall, double LinesPerSecond);

    private double HostCpu(PhaseResult p, int config) => Self(p, TelemetryRun.Role(flood ? "brummer up" : "gateway", config));

    private static double Self(PhaseResult phase, string role) => phase.Cpu.Roles.FirstOrDefault(r => r.Role == role).Self;
}
