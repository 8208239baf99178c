using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using static Brummer.LoadTest.RunDescription;

namespace Brummer.LoadTest;

/// <summary>Everything one run measured, and its rendering as the markdown pasted into docs/benchmarks.md.</summary>
internal sealed class LoadReport(LoadTestOptions options) : IReport
{
    // The issue's targets on the project's 2-core machine.
    private const double TargetCallsPerSecond = 5_000;
    private const double TargetP99Ms = 20;
    private const double TargetStalenessP99Ms = 50;

    /// <summary>What the paced phase's names hold (set by <see cref="LoadRun"/>).</summary>
    public const string PacedMark = ", paced at ";

    public DateTime StartedAt { get; } = DateTime.UtcNow;

    public string Membership { get; set; } = "?";

    public string LoadAverageBefore { get; set; } = "?";

    public string LoadAverageAfter { get; set; } = "?";

    public List<PhaseResult> Phases { get; } = [];

    /// <summary>Seconds of MCP and JSON API load spent warming up before the first measured phase.</summary>
    public double WarmupSeconds { get; set; }

    public Dictionary<string, long> ResponseBytes { get; set; } = [];

    public ChurnCounters? Churn { get; set; }

    public StalenessResult? Staleness { get; set; }

    /// <summary>Staleness seen by the official clients' phase (every client reads every answer).</summary>
    public StalenessResult? OfficialStaleness { get; set; }

    /// <summary>The same churn with one MCP client: staleness without queueing behind 64 clients.</summary>
    public StalenessResult? QuietStaleness { get; set; }

    /// <summary>Mean time between two consecutive answers read for staleness during the raw churn phase.</summary>
    public double MeasurementGap { get; set; }

    public string ToMarkdown(string[] args)
    {
        var s = new StringBuilder();
        var churnPhase = Phases.FirstOrDefault(p => p.Name.EndsWith(", churn", StringComparison.Ordinal));
        var idle = Phases.FirstOrDefault(p => p.Name.Contains("idle", StringComparison.Ordinal));
        var paced = Phases.FirstOrDefault(p => p.Name.Contains(PacedMark, StringComparison.Ordinal) && p.Name.EndsWith(", churn", StringComparison.Ordinal));
        s.AppendLine(Invariant($"### Run of {StartedAt:yyyy-MM-dd HH:mm} UTC"));
        s.AppendLine();
        RunDescription.AppendMachine(s, options, args);
        s.AppendLine(Invariant($"| cluster | 3 OS processes (`dotnet brummer.dll node --name a`, `... node --name b`, `... gateway`), {Membership} |"));
        s.AppendLine(Invariant($"| scripts | {options.ScriptsPerNode} per node: {options.ScriptsPerNode / 2} `exec sleep 3600`, {options.ScriptsPerNode - (options.ScriptsPerNode / 2)} `sleep {options.ShortLifetime.TotalSeconds:0.###}; date +%s%N`, run through a stand-in `npm` (sh over the body) |"));
        s.AppendLine(Invariant($"| load average (1/5/15 min) | before {LoadAverageBefore}, after {LoadAverageAfter} |"));
        s.AppendLine();

        s.AppendLine(Invariant($"{options.Clients} closed-loop clients (no pause between calls) unless said otherwise. MCP raw: a light client, one JSON-RPC `tools/call scripts_status` POST per call over {options.Clients} pooled keep-alive connections (`HttpClient`), checking each answer is a JSON-RPC result; 4 of the loops also parse each answer for staleness. MCP official: the official C# client (`McpClient`, Streamable HTTP), one per loop. Before anything is measured, {WarmupSeconds:0} s of MCP then JSON API load, in 5 s slices until the rate stopped rising (JIT tiering). HTTP baselines: {options.Warmup.TotalSeconds:0} s warm-up + {options.FloorDuration.TotalSeconds:0} s each. Each MCP client's idle and churn figures: one continuous run of the same loops, an unmeasured {options.Segment.TotalSeconds:0} s churn segment then {options.Rounds} rounds of a {options.Segment.TotalSeconds:0} s churn segment then a {options.Segment.TotalSeconds:0} s idle segment, the first {options.Settle.TotalSeconds:0} s after each switch not measured, so both see the same background load of this shared machine. Then the same alternation with the raw client paced{(options.PacedRate > 0 ? Invariant($" at {options.PacedRate:N0} calls/s in all") : string.Empty)}: {options.Clients} callers over at most {options.Clients} connections, each asking on schedule whether or not its previous call has answered (an open loop, so latency counts from when a call was due and a stall cannot hide the calls behind it), at a rate the gateway serves rather than the most it can. Last, the same churn with one raw client reading every answer, for the staleness baseline."));
        s.AppendLine();
        s.AppendLine("| phase | window | calls | calls/s | × MCP idle | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors |");
        s.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var p in Phases)
        {
            var ratio = idle is null ? double.NaN : p.CallsPerSecond / idle.CallsPerSecond;
            s.AppendLine(Invariant(
                $"| {p.Name} | {p.Duration.TotalSeconds:0} s | {p.Latency.Count:N0} | **{p.CallsPerSecond:N0}** | {ratio:0.00} | {p.Latency.P50:0.00} | {p.Latency.P90:0.00} | **{p.Latency.P99:0.00}** | {p.Latency.P999:0.00} | {p.Latency.Max:0.0} | {p.Errors}{(p.ErrorsOutsideWindow > 0 ? $" (+{p.ErrorsOutsideWindow} in warm-up)" : string.Empty)} |"));
        }

        s.AppendLine();
        foreach (var p in Phases.Where(p => p.ErrorSamples.Count > 0))
        {
            s.AppendLine(Invariant($"Errors in '{p.Name}', first ones: {string.Join("; ", p.ErrorSamples.Select(e => $"`{Trim(e)}`"))}"));
            s.AppendLine();
        }

        s.AppendLine("Bytes of one answer (100 processes): " + string.Join(", ", ResponseBytes.Select(kv => Invariant($"{kv.Key} {kv.Value:N0} B"))) + ".");
        s.AppendLine();

        s.AppendLine("CPU during each measured window, in cores (1.00 = one core busy all the time; from /proc utime+stime deltas; a node's scripts are its reaped children):");
        s.AppendLine();
        s.AppendLine("| phase | gateway | gateway CPU per call | node a | node b | scripts (a+b) | load tool | others on the machine | machine busy |");
        s.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var p in Phases)
        {
            double Self(string role) => p.Cpu.Roles.FirstOrDefault(r => r.Role == role).Self;
            var scripts = p.Cpu.Roles.Where(r => r.Role.StartsWith("node", StringComparison.Ordinal)).Sum(r => r.Children);
            s.AppendLine(Invariant(
                $"| {p.Name} | {Self("gateway"):0.00} | {Self("gateway") * 1000 / p.CallsPerSecond:0.000} ms | {Self("node a"):0.00} | {Self("node b"):0.00} | {scripts:0.00} | {Self("load tool"):0.00} | {p.Cpu.Others:0.00} | {p.Cpu.MachineBusy:0.00} of {p.Cpu.Cores} |"));
        }

        s.AppendLine();
        if (Churn is { } churn && churnPhase is not null)
        {
            // The churn runs during the churn segments of every MCP client's phase: count them all.
            var seconds = Phases.Where(p => p.Name.EndsWith(", churn", StringComparison.Ordinal)).Sum(p => p.Duration.TotalSeconds);
            s.Append(Invariant($"Churn during the measured time of the churn segments, {seconds:0} s (target {options.ChurnRate:0.#} control calls/s, JSON API `POST /api/processes/{{node}}/{{name}}/{{action}}`): **{churn.Actions / seconds:0.0} calls/s**, "));
            s.Append(Invariant($"≈ **{churn.StateChanges / seconds:0} state changes/s** (run 2, stop 2, restart 4, short run 3 with its own exit); "));
            s.Append(Invariant($"{churn.ShortRuns} short runs ({churn.ShortRunsB} on b), {churn.Runs} runs, {churn.Stops} stops, {churn.Restarts} restarts of long scripts; "));
            s.AppendLine(Invariant($"control call p50 {churn.ControlLatency.P50:0.0} ms, p99 {churn.ControlLatency.P99:0.0} ms; {churn.Errors} errors; {churn.Skipped} ticks skipped (more than 32 calls in flight)."));
            if (churn.ErrorSamples.Count > 0)
            {
                s.AppendLine(Invariant($" Churn errors: {string.Join("; ", churn.ErrorSamples.Select(e => $"`{Trim(e)}`"))}"));
            }

            s.AppendLine();
        }

        if (Staleness is { } st)
        {
            s.AppendLine(Invariant($"Staleness on node b: each exit of a short script during the churn's measured time, compared with the earliest of all answers (any client) that showed it. With {options.Clients} raw clients, of which 4 read the answers, an answer was read every {MeasurementGap:0.00} ms on average, each taking p50 {churnPhase?.Latency.P50:0.0} ms: the rows based on request and receipt carry that queueing; the `as_of` row does not (it is when the gateway built the view it answered from; views change with every pushed delta, so the earliest `as_of` seen is that view's, or one a few ms later)."));
            s.AppendLine();
            s.AppendLine("| clients | interval | samples | p50 ms | p90 ms | p99 ms | max ms |");
            s.AppendLine("|---|---|---:|---:|---:|---:|---:|");
            foreach (var (label, result) in new[] { (Invariant($"{options.Clients} raw"), st), (Invariant($"{options.Clients} official"), OfficialStaleness), ("1 raw (baseline)", QuietStaleness) })
            {
                if (result is null)
                {
                    continue;
                }

                Row(s, label, "**exited_at (node b) → gateway view holding it (`as_of`)**: the staleness at the gateway", result.ExitToView);
                Row(s, label, "exited_at → first answer showing it: request sent", result.ExitToRequest);
                Row(s, label, "exited_at → first answer showing it: response received", result.ExitToVisible);
                Row(s, label, "script's last instant (`date +%s%N`) → exited_at: node b noticing the exit", result.ScriptEndToExitedAt);
            }

            s.AppendLine();
        }

        s.AppendLine("Targets (issue): ≥ 5,000 calls/s, p99 ≤ 20 ms, 0 errors with churn; staleness p99 ≤ 50 ms.");
        s.AppendLine();
        if (churnPhase is not null)
        {
            s.AppendLine("| target | measured | verdict |");
            s.AppendLine("|---|---:|---|");
            s.AppendLine(Invariant($"| ≥ 5,000 calls/s (with churn) | {churnPhase.CallsPerSecond:N0} | {Verdict(churnPhase.CallsPerSecond >= TargetCallsPerSecond)} |"));
            if (paced is not null)
            {
                // Calls are counted for the window they were due in, so a gateway that falls behind shows a rate below the pace.
                var served = paced.CallsPerSecond >= options.PacedRate * 0.99;
                s.AppendLine(Invariant($"| p99 ≤ 20 ms while serving {options.PacedRate:N0} calls/s (paced, with churn) | {paced.Latency.P99:0.0} ms at {paced.CallsPerSecond:N0} calls/s | {Verdict(served && options.PacedRate >= TargetCallsPerSecond && paced.Latency.P99 <= TargetP99Ms)} |"));
            }

            s.AppendLine(Invariant($"| p99 ≤ 20 ms, {options.Clients} closed loops at saturation (with churn) | {churnPhase.Latency.P99:0.0} ms at {churnPhase.CallsPerSecond:N0} calls/s | {Verdict(churnPhase.Latency.P99 <= TargetP99Ms)} |"));
            var statusErrors = churnPhase.Errors + (paced?.Errors ?? 0);
            s.AppendLine(Invariant($"| 0 errors | {statusErrors + (Churn?.Errors ?? 0)} (status {statusErrors}, churn {Churn?.Errors ?? 0}) | {Verdict(statusErrors == 0 && (Churn?.Errors ?? 0) == 0)} |"));
            if (Staleness is { } stale)
            {
                s.AppendLine(Invariant($"| staleness p99 ≤ 50 ms (at the gateway: exited_at → `as_of`) | {stale.ExitToView.P99:0.0} ms ({stale.ExitToView.Count} samples) | {Verdict(stale.ExitToView.P99 <= TargetStalenessP99Ms)} |"));
                s.AppendLine(Invariant($"| (same, as received by a client under this load) | {stale.ExitToVisible.P99:0.0} ms | {Verdict(stale.ExitToVisible.P99 <= TargetStalenessP99Ms)} |"));
                if (QuietStaleness is { } quiet)
                {
                    s.AppendLine(Invariant($"| (same, at the gateway, 1 client: baseline) | {quiet.ExitToView.P99:0.0} ms ({quiet.ExitToView.Count} samples) | {Verdict(quiet.ExitToView.P99 <= TargetStalenessP99Ms)} |"));
                }
            }
        }

        return s.ToString();
    }

    private static void Row(StringBuilder s, string clients, string what, LatencySummary l) =>
        s.AppendLine(Invariant($"| {clients} | {what} | {l.Count} | {l.P50:0.0} | {l.P90:0.0} | {l.P99:0.0} | {l.Max:0.0} |"));
}
