using System.Text;
using static Brummer.LoadTest.RunDescription;

namespace Brummer.LoadTest;

/// <summary>What a stack-dag run measured, as the markdown pasted into docs/benchmarks.md ("Stack with a dependency DAG").</summary>
internal sealed class StackDagReport(LoadTestOptions options, DagStack stack) : IReport
{
    public DateTime StartedAt { get; } = DateTime.UtcNow;

    public string LoadAverageBefore { get; set; } = "?";

    public string LoadAverageAfter { get; set; } = "?";

    public string? NodeVersion { get; set; }

    public List<DagMeasurement> Rounds { get; } = [];

    public string ToMarkdown(string[] args)
    {
        var dag = Rounds.Where(r => r.Dependencies).ToList();
        var flat = Rounds.Where(r => !r.Dependencies).ToList();
        var s = new StringBuilder();
        s.AppendLine(Invariant($"### Run of {StartedAt:yyyy-MM-dd HH:mm} UTC"));
        s.AppendLine();
        AppendMachine(s, options, args);
        s.AppendLine(Invariant($"| stack | {stack.Processes.Count} processes in {stack.Levels} levels of {stack.Width}; each of levels 2–{stack.Levels} `depends_on` 2–3 of the level below with `condition: process_healthy` ({stack.Edges} edges, fixed seed) |"));
        s.AppendLine(Invariant($"| each process | `{DagStack.Command(options.DagService, options.DagStartup.TotalSeconds)}`{(NodeVersion is null ? string.Empty : $" (node {NodeVersion})")}; `readiness_probe: {{log: {{pattern: '{DagStack.ReadyPattern}'}}, period_seconds: 0.5}}` |"));
        s.AppendLine("| baseline | the same brummer.yaml without `depends_on` (probes kept): all start at once |");
        s.AppendLine(Invariant($"| load average (1/5/15 min) | before {LoadAverageBefore}, after {LoadAverageAfter} |"));
        s.AppendLine();
        s.AppendLine(Invariant($"One `brummer up --node local --dir ROUND --port 0` per round; {options.Rounds} rounds, the two variants alternating (ABBA), after one unmeasured warm-up start. **stack**, the figure: from the first process's `started_at` to the moment the last process printed its ready line (its own clock; the node's and the processes' clocks are the machine's). **gateway saw all ready**: from the same start until the gateway had answered one `GET /api/processes/local/NAME/wait?for=ready` per process (all sent as soon as `brummer up` printed its URL, answered from its change feed), i.e. every process `health: ready` as a user sees it; it adds the node reading the last line, and a fresh gateway taking its first 100 requests, which weighs on the baseline more (it ends sooner after the gateway's start). **launch → all ready**: that end from the launch of `brummer up` (dotnet host, silo and gateway start, alike for both). **critical path**: the longest chain of the round's own measured startups (`started_at` → ready line, spawn included) through the graph, i.e. the stack's time if every process started the instant its last dependency printed ready; without dependencies, the slowest single startup. Medians, with min–max."));
        s.AppendLine();
        s.AppendLine("| variant | stack, median s | stack, min–max s | gateway saw all ready, median s | launch → all ready, median s | critical path, median s | stack vs baseline |");
        s.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        var baseline = Median(flat.Select(r => r.Stack));
        foreach (var (label, rounds) in new[] { ($"{stack.Levels}-level DAG", dag), ("no depends_on (baseline)", flat) })
        {
            if (rounds.Count == 0)
            {
                continue;
            }

            var median = Median(rounds.Select(r => r.Stack));
            s.AppendLine(Invariant(
                $"| {label} | **{median:0.00}** | {rounds.Min(r => r.Stack.TotalSeconds):0.00}–{rounds.Max(r => r.Stack.TotalSeconds):0.00} | {Median(rounds.Select(r => r.AllReady)):0.00} | {Median(rounds.Select(r => r.AllAnswered)):0.00} | {Median(rounds.Select(r => r.CriticalPath)):0.00} | {median / baseline:0.00}× |"));
        }

        if (Rounds.Any(r => r.GatewayLate))
        {
            s.AppendLine();
            s.AppendLine("Rounds marked * below: the gateway printed its URL only after the last ready line, so their gateway figure is bounded by the gateway's own start.");
        }
        s.AppendLine();
        foreach (var (label, rounds) in new[] { ("DAG", dag), ("baseline", flat) })
        {
            var detections = rounds.SelectMany(r => r.Detections).Order().ToList();
            if (detections.Count > 0)
            {
                s.AppendLine(Invariant($"From a ready line to the gateway answering ready (the node reads the line, the log probe passes, the status is pushed), {label}, over the {detections.Count} processes whose wait was parked before their line: median **{Percentile(detections, 0.5):0} ms**, p90 {Percentile(detections, 0.9):0} ms, max {detections[^1].TotalMilliseconds:0} ms."));
                s.AppendLine();
            }
        }

        if (dag.Count > 0)
        {
            var wakeUps = dag.SelectMany(r => r.WakeUps).Order().ToList();
            var overhead = Median(dag.Select(r => r.Stack - r.CriticalPath));
            s.AppendLine(Invariant(
                $"DAG: beyond its critical path the stack took **{overhead:0.00} s** more (median of rounds), {overhead / stack.Levels * 1000:0} ms per level. Wake-up, from a dependent's last dependency printing ready to the dependent's start, over all {wakeUps.Count} dependents of all rounds: min {wakeUps[0].TotalMilliseconds:0} ms, median **{Percentile(wakeUps, 0.5):0} ms**, p90 {Percentile(wakeUps, 0.9):0} ms, max {wakeUps[^1].TotalMilliseconds:0} ms. Per-process startup (`started_at` → ready line, spawn included): median {Median(dag.Select(r => r.Startup)) * 1000:0} ms; baseline {Median(flat.Select(r => r.Startup)) * 1000:0} ms."));
            s.AppendLine();
            var typical = dag.OrderBy(r => r.Stack).ElementAt(dag.Count / 2);
            s.AppendLine(Invariant($"Levels of the median DAG round (round {typical.Round}; seconds from its first start; wake-ups in ms):"));
            s.AppendLine();
            s.AppendLine("| level | first start | last start | last ready line | wake-up min | wake-up median | wake-up max |");
            s.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var level in typical.Levels)
            {
                var latencies = level.WakeUps.Order().ToList();
                s.AppendLine(Invariant(
                    $"| {level.Level} | {level.FirstStart.TotalSeconds:0.00} | {level.LastStart.TotalSeconds:0.00} | {level.LastReady.TotalSeconds:0.00} | {Milliseconds(latencies, 0)} | {Milliseconds(latencies, 0.5)} | {Milliseconds(latencies, 1)} |"));
            }

            s.AppendLine();
        }

        if (flat.Count > 0)
        {
            var typical = flat.OrderBy(r => r.Stack).ElementAt(flat.Count / 2);
            s.AppendLine(Invariant($"Baseline, median round (round {typical.Round}): the {stack.Processes.Count} starts spread over {typical.Levels.Max(l => l.LastStart).TotalSeconds:0.00} s from the first, the last ready line at {typical.Stack.TotalSeconds:0.00} s, all ready at {typical.AllReady.TotalSeconds:0.00} s."));
            s.AppendLine();
        }

        s.AppendLine("Every round (s; stack / gateway saw all ready / critical path, from the first start; then from the launch: gateway up / first start / all ready): " + string.Join("; ", Rounds.Select(r =>
            Invariant($"{r.Round} {(r.Dependencies ? "DAG" : "flat")}{(r.GatewayLate ? "*" : string.Empty)} {r.Stack.TotalSeconds:0.00} / {r.AllReady.TotalSeconds:0.00} / {r.CriticalPath.TotalSeconds:0.00}; {r.GatewayUp.TotalSeconds:0.00} / {r.FirstStart.TotalSeconds:0.00} / {r.AllAnswered.TotalSeconds:0.00}"))) + ".");
        s.AppendLine();
        s.AppendLine(Invariant($"Processes left running after `brummer up` stopped, all rounds: **{Rounds.Sum(r => r.LeftBehind)}** (any process whose working directory is in the round's directory)."));
        return s.ToString();
    }

    private static double Median(IEnumerable<TimeSpan> values) => StackDagRun.Median([.. values]).TotalSeconds;

    private static string Milliseconds(List<TimeSpan> sorted, double p) =>
        sorted.Count == 0 ? "—" : Invariant($"{(p == 0 ? sorted[0].TotalMilliseconds : Percentile(sorted, p)):0}");

    private static double Percentile(List<TimeSpan> sorted, double p) =>
        sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)].TotalMilliseconds;
}
