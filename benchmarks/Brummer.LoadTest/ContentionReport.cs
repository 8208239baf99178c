using System.Text;
using static Brummer.LoadTest.RunDescription;

namespace Brummer.LoadTest;

/// <summary>What a contention run measured, rendered as the markdown pasted into docs/benchmarks.md ("Search contention").</summary>
internal sealed class ContentionReport(LoadTestOptions options) : IReport
{
    // The issue's target: under searches that saturate the gateway, scripts_status p99 stays within 2× of idle.
    private const double TargetP99Ratio = 2;

    public DateTime StartedAt { get; } = DateTime.UtcNow;

    public string LoadAverageBefore { get; set; } = "?";

    public string LoadAverageAfter { get; set; } = "?";

    public double WarmupSeconds { get; set; }

    public long StatusAnswerBytes { get; set; }

    /// <summary>One result per caller (MCP scripts_status first, then the ceilings) in each window.</summary>
    public PhaseResult[] IdleBefore { get; set; } = [];

    public PhaseResult[] Contended { get; set; } = [];

    public PhaseResult[] IdleAfter { get; set; } = [];

    public SearchCounters? Searches { get; set; }

    /// <summary>From starting the searches to the first one answering.</summary>
    public double FirstSearchSeconds { get; set; }

    /// <summary>From stopping the searches to their last call answering, then to the node answering a search at once.</summary>
    public TimeSpan SearchesDrained { get; set; }

    public TimeSpan NodeDrained { get; set; }

    public string ToMarkdown(string[] args)
    {
        var s = new StringBuilder();
        s.AppendLine(Invariant($"### Run of {StartedAt:yyyy-MM-dd HH:mm} UTC"));
        s.AppendLine();
        AppendMachine(s, options, args);
        s.AppendLine(Invariant($"| Brummer | one `dotnet brummer.dll up` process: node `{BrummerCluster.EmbeddedNode}` and gateway share its thread pool and GC |"));
        s.AppendLine(Invariant($"| scripts | {options.ScriptsPerNode} `exec sleep 3600` and {options.SearchScripts} `{ContentionRun.WordsPrefix}N` that print {options.SearchLines:N0} lines `{ContentionRun.WordsLine} <n>!` then sleep; all running, listed in every answer ({StatusAnswerBytes:N0} B as JSON API); run through a stand-in `npm` (sh over the body) |"));
        s.AppendLine(Invariant($"| searches | {options.SearchClients} MCP clients, each looping `logs_search` `{{\"query\": \"{ContentionRun.SearchPattern}\", \"regex\": true}}` without pause: every line costs the node its 250 ms regex limit, every search its 2 s budget |"));
        s.AppendLine(Invariant($"| cheap reads | {options.StatusClients} MCP clients asking `scripts_status`, 1 caller of `GET /api/processes`, 1 of `GET /healthz`; each asks every {options.StatusInterval.TotalMilliseconds:0} ms whether or not its previous call has answered |"));
        s.AppendLine(Invariant($"| load average (1/5/15 min) | before {LoadAverageBefore}, after {LoadAverageAfter} |"));
        s.AppendLine();
        s.AppendLine(Invariant($"MCP: the official C# client (`McpClient`, Streamable HTTP), one per caller. {WarmupSeconds:0} s of closed-loop `scripts_status` warm-up first (JIT). Then three windows of {options.Window.TotalSeconds:0} s (after {options.Settle.TotalSeconds:0} s not measured), every caller at once: **idle**; **contended**, once the searches were flowing (the first answered {FirstSearchSeconds:0.0} s after they started); **idle again**, once the node had finished every search it was sent. A call counts for the window it was asked in, however long it waited (a window ends with its last answer; the searches ran until then). Asking at a steady pace instead of in a closed loop keeps a stalled call from hiding the calls that would have followed it."));
        s.AppendLine();
        s.AppendLine("| calls | callers | window | calls | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors |");
        s.AppendLine("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        for (var c = 0; c < IdleBefore.Length; c++)
        {
            foreach (var (p, window) in new[] { (IdleBefore[c], "idle"), (Contended[c], "**contended**"), (IdleAfter[c], "idle again") })
            {
                s.AppendLine(Invariant(
                    $"| {Kind(p)} | {p.Workers} | {window} | {p.Latency.Count:N0} | {p.Latency.P50:0.00} | {p.Latency.P90:0.00} | **{p.Latency.P99:0.00}** | {p.Latency.P999:0.00} | {p.Latency.Max:0.0} | {p.Errors}{(p.ErrorsOutsideWindow > 0 ? $" (+{p.ErrorsOutsideWindow} outside)" : string.Empty)} |"));
            }
        }

        s.AppendLine();
        foreach (var p in IdleBefore.Concat(Contended).Concat(IdleAfter).Where(p => p.ErrorSamples.Count > 0))
        {
            s.AppendLine(Invariant($"Errors in '{p.Name}', first ones: {string.Join("; ", p.ErrorSamples.Select(e => $"`{Trim(e)}`"))}"));
            s.AppendLine();
        }

        if (Searches is { } q)
        {
            s.AppendLine(Invariant(
                $"Searches that answered during the contended window: **{q.Answered:N0}** ({q.PerSecond:0.00}/s), each taking p50 {q.Latency.P50:N0} ms, p99 {q.Latency.P99:N0} ms; {q.Truncated:N0} cut short by the node's budget (`truncated`), **{q.Unreachable:N0} with the node in `unreachable_nodes`** (the gateway stopped waiting for it), {q.Errors:N0} errors. After the searches stopped, their last calls answered within {SearchesDrained.TotalSeconds:0.0} s, and the node answered a search at once again only {NodeDrained.TotalSeconds:0.0} s later."));
            foreach (var error in q.ErrorSamples)
            {
                s.AppendLine(Invariant($"Search error: `{Trim(error)}`"));
            }

            s.AppendLine();
        }

        s.AppendLine("CPU during each window, in cores (/proc utime+stime deltas, 1.00 = one core busy):");
        s.AppendLine();
        s.AppendLine("| window | `brummer up` | load tool | others on the machine | machine busy |");
        s.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var (p, window) in new[] { (IdleBefore[0], "idle"), (Contended[0], "contended"), (IdleAfter[0], "idle again") })
        {
            s.AppendLine(Invariant($"| {window} | {Self(p, "brummer up"):0.00} | {Self(p, "load tool"):0.00} | {p.Cpu.Others:0.00} | {p.Cpu.MachineBusy:0.00} of {p.Cpu.Cores} |"));
        }

        s.AppendLine();
        s.AppendLine("| target (issue) | measured | verdict |");
        s.AppendLine("|---|---:|---|");
        var (idle, contended, again) = (IdleBefore[0].Latency.P99, Contended[0].Latency.P99, IdleAfter[0].Latency.P99);
        s.AppendLine(Invariant($"| `scripts_status` p99 under {options.SearchClients} looping searches ≤ 2× idle (the first idle window) | {contended:0.00} ms ÷ {idle:0.00} ms = **{contended / idle:0.00}×** (÷ idle again {again:0.00} ms: {contended / again:0.00}×) | {Verdict(contended / idle <= TargetP99Ratio)} |"));
        var statusErrors = IdleBefore[0].Errors + Contended[0].Errors + IdleAfter[0].Errors;
        s.AppendLine(Invariant($"| 0 `scripts_status` errors | {statusErrors} | {Verdict(statusErrors == 0)} |"));
        for (var c = 1; c < IdleBefore.Length; c++)
        {
            s.AppendLine(Invariant($"| (ceiling, no MCP queue: {Kind(IdleBefore[c])} p99 contended ÷ idle) | {Contended[c].Latency.P99:0.00} ms ÷ {IdleBefore[c].Latency.P99:0.00} ms = {Contended[c].Latency.P99 / IdleBefore[c].Latency.P99:0.00}× | — |"));
        }

        return s.ToString();
    }

    /// <summary>The caller's part of a phase name ("MCP `scripts_status`, idle" → "MCP `scripts_status`").</summary>
    private static string Kind(PhaseResult phase) => phase.Name[..phase.Name.LastIndexOf(", ", StringComparison.Ordinal)];

    private static double Self(PhaseResult phase, string role) => phase.Cpu.Roles.FirstOrDefault(r => r.Role == role).Self;
}
