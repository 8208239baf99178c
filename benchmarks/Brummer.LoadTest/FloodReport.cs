using System.Globalization;
using System.Text;
using static Brummer.LoadTest.RunDescription;

namespace Brummer.LoadTest;

/// <summary>What a flood run measured, rendered as the markdown pasted into docs/benchmarks.md ("Flooding output").</summary>
internal sealed class FloodReport(LoadTestOptions options) : IReport
{
    // The issue's targets: ingestion of one flooding process, and status latency while it floods.
    private const double TargetLinesPerSecond = 200_000;
    private const double TargetP99Ratio = 2;

    public DateTime StartedAt { get; } = DateTime.UtcNow;

    public string LoadAverageBefore { get; set; } = "?";

    public string LoadAverageAfter { get; set; } = "?";

    public double WarmupSeconds { get; set; }

    public long StatusAnswerBytes { get; set; }

    public List<FloodPass> Passes { get; } = [];

    public string ToMarkdown(string[] args)
    {
        var s = new StringBuilder();
        s.AppendLine(Invariant($"### Run of {StartedAt:yyyy-MM-dd HH:mm} UTC"));
        s.AppendLine();
        AppendMachine(s, options, args);
        s.AppendLine(Invariant($"| Brummer | one `dotnet brummer.dll up` process: node `{BrummerCluster.EmbeddedNode}` and gateway share its thread pool and GC |"));
        s.AppendLine(Invariant($"| scripts | {options.ScriptsPerNode} `exec sleep 3600` (running, listed in every answer) and `{BrummerCluster.FloodScript}`: `exec yes '<{options.FloodLineBytes - 1} printable bytes>'` ({options.FloodLineBytes}-byte lines, as fast as the pipe takes them), run through a stand-in `npm` (sh over the body) |"));
        s.AppendLine(Invariant($"| load average (1/5/15 min) | before {LoadAverageBefore}, after {LoadAverageAfter} |"));
        s.AppendLine();
        s.AppendLine(Invariant($"Closed-loop MCP clients (the official C# client, Streamable HTTP, no pause between `scripts_status` calls; answer {StatusAnswerBytes:N0} B as JSON API). {WarmupSeconds:0} s of warm-up first (JIT). Each pass: one unmeasured flood segment, then {options.Rounds} rounds of a {options.Segment.TotalSeconds:0} s flood segment (the script run through the JSON API) and a {options.Segment.TotalSeconds:0} s idle segment (stopped), the first {options.Settle.TotalSeconds:0} s after each switch not measured, so flood and idle see the same background load of this shared machine. Lines ingested: the flood's `last_seq` (logs_tail, JSON API) at the start and end of each measured flood window."));
        s.AppendLine();
        s.AppendLine("| clients | segment | calls | calls/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors |");
        s.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var pass in Passes)
        {
            foreach (var p in new[] { pass.Idle, pass.Flood })
            {
                s.AppendLine(Invariant(
                    $"| {pass.Clients} | {(ReferenceEquals(p, pass.Idle) ? "idle" : "**flood**")} | {p.Latency.Count:N0} | {p.CallsPerSecond:N0} | {p.Latency.P50:0.00} | {p.Latency.P90:0.00} | **{p.Latency.P99:0.00}** | {p.Latency.P999:0.00} | {p.Latency.Max:0.0} | {p.Errors} |"));
            }
        }

        s.AppendLine();
        foreach (var p in Passes.SelectMany(p => new[] { p.Idle, p.Flood }).Where(p => p.ErrorSamples.Count > 0))
        {
            s.AppendLine(Invariant($"Errors in '{p.Name}', first ones: {string.Join("; ", p.ErrorSamples.Select(e => $"`{Trim(e)}`"))}"));
            s.AppendLine();
        }

        s.AppendLine("Ingestion and resources during the measured windows (CPU in cores from /proc utime+stime deltas, 1.00 = one core busy; RSS = `VmRSS` of `brummer up`, highest seen at the end of a window):");
        s.AppendLine();
        s.AppendLine("| clients | flood lines/s | MB/s | lines in windows | `brummer up` CPU idle → flood | flood script CPU | load tool CPU flood | machine busy idle → flood | RSS idle → flood |");
        s.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var pass in Passes)
        {
            s.AppendLine(Invariant(
                $"| {pass.Clients} | **{pass.LinesPerSecond:N0}** | {pass.LinesPerSecond * options.FloodLineBytes / 1e6:0.0} | {pass.LinesIngested:N0} | {Self(pass.Idle, "brummer up"):0.00} → {Self(pass.Flood, "brummer up"):0.00} | {Self(pass.Flood, "flood script"):0.00} | {Self(pass.Flood, "load tool"):0.00} | {pass.Idle.Cpu.MachineBusy:0.00} → {pass.Flood.Cpu.MachineBusy:0.00} of {pass.Flood.Cpu.Cores} | {pass.MaxRssIdle / 1048576.0:0} → {pass.MaxRssFlood / 1048576.0:0} MiB |"));
        }

        s.AppendLine();
        s.AppendLine("| target (issue) | measured | verdict |");
        s.AppendLine("|---|---:|---|");
        foreach (var pass in Passes)
        {
            s.AppendLine(Invariant($"| ingestion ≥ 200,000 lines/s, {pass.Clients} client(s) calling | {pass.LinesPerSecond:N0} lines/s | {Verdict(pass.LinesPerSecond >= TargetLinesPerSecond)} |"));
            s.AppendLine(Invariant($"| scripts_status p99 while flooding ≤ 2× idle, {pass.Clients} client(s) | {pass.Flood.Latency.P99:0.00} ms ÷ {pass.Idle.Latency.P99:0.00} ms = **{pass.P99Ratio:0.00}×** | {Verdict(pass.P99Ratio <= TargetP99Ratio)} |"));
        }

        s.AppendLine(Invariant($"| 0 errors | {Passes.Sum(p => p.Idle.Errors + p.Flood.Errors)} | {Verdict(Passes.All(p => p.Idle.Errors + p.Flood.Errors == 0))} |"));
        return s.ToString();
    }

    private static double Self(PhaseResult phase, string role) => phase.Cpu.Roles.FirstOrDefault(r => r.Role == role).Self;
}
