using System.Text;
using static Brummer.LoadTest.RunDescription;

namespace Brummer.LoadTest;

/// <summary>What a starts run measured, as the markdown pasted into docs/benchmarks.md ("Starting 100 scripts").</summary>
internal sealed class StartsReport(LoadTestOptions options) : IReport
{
    public DateTime StartedAt { get; } = DateTime.UtcNow;

    public string LoadAverageBefore { get; set; } = "?";

    public string LoadAverageAfter { get; set; } = "?";

    public string? Pm2 { get; set; }

    public string NpmVersion { get; set; } = "?";

    public string NodeVersion { get; set; } = "?";

    public List<StartMeasurement> Rounds { get; } = [];

    public string ToMarkdown(string[] args)
    {
        var s = new StringBuilder();
        s.AppendLine(Invariant($"### Run of {StartedAt:yyyy-MM-dd HH:mm} UTC"));
        s.AppendLine();
        AppendMachine(s, options, args);
        s.AppendLine(Invariant($"| services | {options.Starts} × `node service.js MARKER` (writes MARKER, then idles); node {NodeVersion}, npm {NpmVersion} |"));
        s.AppendLine(Invariant($"| npm | `brummer up` with `BRUMMER_DIRECT_SCRIPTS=0`: each script started as `npm run svc-NNN` |"));
        s.AppendLine(Invariant($"| direct | `brummer up` (default): each script started as npm would run it, `sh -c` with npm's PATH and variables, without npm |"));
        s.AppendLine(Invariant($"| pm2 | {Pm2 ?? "not found (pass --pm2 PATH)"}: `pm2 start ecosystem.config.js` with the {options.Starts} apps (`script: service.js, args: [MARKER]`), daemon started before (unmeasured) |"));
        s.AppendLine(Invariant($"| load average (1/5/15 min) | before {LoadAverageBefore}, after {LoadAverageAfter} |"));
        s.AppendLine();
        s.AppendLine(Invariant($"Each round starts all {options.Starts} at once: `brummer up` gets {options.Starts} `POST /api/processes/local/NAME/run` (JSON API), {StartsRun.ControlCalls} in flight at a time (what the gateway's control lane admits at once), pm2 one `pm2 start`. **up**: from the first request until every service's marker exists (its code ran). **started**: until the manager said so (every run call answered `running`; `pm2 start` returned). The machine is shared: the load average above is everyone's. {options.Rounds} rounds, the three managers interleaved in each; medians, with min–max."));
        s.AppendLine();
        s.AppendLine("| manager | up, median s | up, min–max s | started, median s | up vs direct |");
        s.AppendLine("|---|---:|---:|---:|---:|");
        var direct = Median(Rounds.Where(r => r.Manager == StartManager.Direct).Select(r => r.Up.TotalSeconds));
        foreach (var manager in new[] { StartManager.Npm, StartManager.Direct, StartManager.Pm2 })
        {
            var rounds = Rounds.Where(r => r.Manager == manager).ToList();
            if (rounds.Count == 0)
            {
                continue;
            }

            var up = Median(rounds.Select(r => r.Up.TotalSeconds));
            s.AppendLine(Invariant(
                $"| {Label(manager)} | **{up:0.00}** | {rounds.Min(r => r.Up.TotalSeconds):0.00}–{rounds.Max(r => r.Up.TotalSeconds):0.00} | {Median(rounds.Select(r => r.Started.TotalSeconds)):0.00} | {up / direct:0.0}× |"));
        }

        s.AppendLine();
        s.AppendLine("Every round (s): " + string.Join("; ", Rounds.Select(r => Invariant($"{r.Round} {Label(r.Manager)} up {r.Up.TotalSeconds:0.00} / started {r.Started.TotalSeconds:0.00}"))) + ".");
        return s.ToString();
    }

    private static string Label(StartManager manager) => manager switch
    {
        StartManager.Npm => "brummer, `npm run`",
        StartManager.Direct => "brummer, direct",
        _ => "pm2",
    };

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
