using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Brummer.LoadTest;

/// <summary>
/// Stack-dag scenario: how long <c>brummer up</c> takes to bring a brummer.yaml stack of levels × width processes to
/// all ready when each level waits (<c>process_healthy</c>) for 2–3 processes of the level below, against the very
/// same processes without <c>depends_on</c> (still with their readiness probes). Rounds alternate the two variants
/// (ABBA, so a drift of the shared machine's load hits both alike). Timings come from the processes' own clock and
/// the node's: each process prints <c>ready &lt;epoch ns&gt;</c> when its startup is done (its readiness probe's
/// line) and its status carries <c>started_at</c>; the gateway's view is checked with one <c>wait?for=ready</c> per
/// process (answered from the change feed, no polling). After each round the node is stopped and no process may be
/// left with its working directory in the round's directory.
/// </summary>
internal sealed class StackDagRun(LoadTestOptions options)
{
    private const string Node = "local";

    /// <summary>The node's log lines with the time (UTC, ms), one per line, so a kept run's brummer.log shows its timeline.</summary>
    private static readonly Dictionary<string, string> TimestampedLog = new(StringComparer.Ordinal)
    {
        ["Logging__Console__FormatterName"] = "simple",
        ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        ["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true",
        ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
    };

    public async Task<StackDagReport> RunAsync(string runDirectory, CancellationToken cancellationToken)
    {
        var stack = DagStack.Generate(options.DagLevels, options.DagWidth);
        var report = new StackDagReport(options, stack) { LoadAverageBefore = LoadRun.LoadAverage() };
        if (options.DagService == DagService.Node)
        {
            report.NodeVersion = await VersionAsync("node", cancellationToken);
        }

        // Unmeasured: the first start of brummer.dll after a build reads it from disk.
        LoadRun.Log("warm-up round (not counted)");
        await RoundAsync(stack, dependencies: false, Path.Combine(runDirectory, "warmup"), cancellationToken);
        for (var round = 1; round <= options.Rounds; round++)
        {
            var order = round % 2 == 1 ? new[] { true, false } : [false, true];
            foreach (var dependencies in order)
            {
                var directory = Path.Combine(runDirectory, $"{(dependencies ? "dag" : "flat")}-{round}");
                LoadRun.Log($"round {round}/{options.Rounds}: {stack.Processes.Count} processes {(dependencies ? $"in a {stack.Levels}-level DAG" : "without depends_on")}");
                var measured = await RoundAsync(stack, dependencies, directory, cancellationToken) with { Round = round };
                LoadRun.Log(Invariant($"  stack {measured.Stack.TotalSeconds:0.00} s (first start → last ready line), gateway saw all ready at {measured.AllReady.TotalSeconds:0.00} s; from the launch: gateway up {measured.GatewayUp.TotalSeconds:0.00} s, first start {measured.FirstStart.TotalSeconds:0.00} s, all ready {measured.AllAnswered.TotalSeconds:0.00} s; left behind {measured.LeftBehind}"));
                report.Rounds.Add(measured);
            }
        }

        report.LoadAverageAfter = LoadRun.LoadAverage();
        return report;
    }

    private async Task<DagMeasurement> RoundAsync(DagStack stack, bool dependencies, string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "brummer.yaml"), stack.Yaml(options.DagService, options.DagStartup.TotalSeconds, dependencies), cancellationToken);
        var launched = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var brummer = ChildProcess.Start(
            "up", options.BrummerDll, TimestampedLog, Path.Combine(directory, "brummer.log"),
            "up", "--node", Node, "--dir", directory, "--port", "0", "--stop-timeout", "2");
        DagMeasurement measured;
        try
        {
            var mcp = await brummer.WaitForLineAsync(l => l.StartsWith("MCP:", StringComparison.Ordinal), TimeSpan.FromSeconds(90), cancellationToken);
            var gatewayUp = clock.Elapsed;
            using var http = new HttpClient { BaseAddress = new Uri(new Uri(mcp["MCP:".Length..].Trim()), "/"), Timeout = TimeSpan.FromMinutes(3) };

            // One wait per process, all at once: each answers when the gateway's view has it ready.
            var answered = new TimeSpan[stack.Processes.Count];
            var waited = new TimeSpan[stack.Processes.Count];
            await Task.WhenAll(stack.Processes.Select(async (process, i) =>
            {
                using var response = await http.GetAsync(new Uri($"api/processes/{Node}/{process.Name}/wait?for=ready&timeout=120", UriKind.Relative), cancellationToken);
                answered[i] = clock.Elapsed;
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"wait for {process.Name} to be ready answered {(int)response.StatusCode}: {body}");
                }

                waited[i] = TimeSpan.FromMilliseconds(JsonDocument.Parse(body).RootElement.GetProperty("waited_ms").GetInt64());
            }));

            var status = await http.GetFromJsonAsync<JsonElement>(new Uri("api/processes", UriKind.Relative), cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(directory, "status.json"), status.GetRawText(), cancellationToken); // for a kept run
            var timeline = new Dictionary<string, (DateTimeOffset Started, DateTimeOffset Ready, int Pid)>(StringComparer.Ordinal);
            foreach (var process in status.GetProperty("processes").EnumerateArray())
            {
                var name = process.GetProperty("name").GetString()!;
                var started = new DateTimeOffset(process.GetProperty("started_at").GetDateTime(), TimeSpan.Zero);
                var ready = ReadyAt(process.GetProperty("last_line").GetString())
                    ?? await ReadyFromLogAsync(http, name, cancellationToken)
                    ?? throw new InvalidOperationException($"{name} is ready but printed no 'ready <ns>' line");
                timeline[name] = (started, ready, process.GetProperty("pid").GetInt32());
            }

            var answers = stack.Processes.Select((p, i) => (p.Name, answered[i], waited[i]))
                .ToDictionary(a => a.Name, a => new WaitAnswer(launched + a.Item2 - a.Item3, launched + a.Item2), StringComparer.Ordinal);
            measured = Measure(stack, dependencies, launched, gatewayUp, answers, timeline);
        }
        finally
        {
            await brummer.StopAsync(TimeSpan.FromSeconds(30));
            await brummer.DisposeAsync();
        }

        return measured with { LeftBehind = LeftBehind(directory) };
    }

    /// <param name="answers">Per process, its wait for ready (the machine's clock).</param>
    private static DagMeasurement Measure(
        DagStack stack, bool dependencies, DateTimeOffset launched, TimeSpan gatewayUp, Dictionary<string, WaitAnswer> answers,
        Dictionary<string, (DateTimeOffset Started, DateTimeOffset Ready, int Pid)> timeline)
    {
        if (timeline.Count != stack.Processes.Count)
        {
            throw new InvalidOperationException($"the gateway lists {timeline.Count} processes, the stack has {stack.Processes.Count}");
        }

        var firstStart = timeline.Values.Min(t => t.Started);
        var lastReady = timeline.Values.Max(t => t.Ready);
        var startups = timeline.Values.Select(t => t.Ready - t.Started).ToList();

        // The longest chain of measured startups through the DAG: the stack's time if every dependent started the
        // instant its last dependency was ready. Without dependencies, the slowest single startup.
        var chain = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        foreach (var process in stack.Processes)
        {
            var before = dependencies && process.DependsOn.Count > 0 ? process.DependsOn.Max(d => chain[d]) : TimeSpan.Zero;
            chain[process.Name] = before + (timeline[process.Name].Ready - timeline[process.Name].Started);
        }

        // Per process: from the moment its last dependency printed ready to its own start (orchestration's wake-up).
        var wakeUps = dependencies
            ? stack.Processes.Where(p => p.DependsOn.Count > 0)
                .Select(p => (p.Level, Latency: timeline[p.Name].Started - p.DependsOn.Max(d => timeline[d].Ready))).ToList()
            : [];
        var levels = Enumerable.Range(1, stack.Levels).Select(level =>
        {
            var members = stack.Processes.Where(p => p.Level == level).Select(p => timeline[p.Name]).ToList();
            return new DagLevel(
                level,
                members.Min(t => t.Started) - firstStart,
                members.Max(t => t.Started) - firstStart,
                members.Max(t => t.Ready) - firstStart,
                [.. wakeUps.Where(w => w.Level == level).Select(w => w.Latency)]);
        }).ToList();

        // From a ready line to the gateway answering that the process is ready: the node reading the line, its log
        // probe passing, the status push. Only where the wait was already parked at the gateway when the line came
        // (its answer less the waited_ms it reports); an earlier line would be timed from the request's arrival.
        var detections = timeline.Where(t => answers[t.Key].Parked <= t.Value.Ready).Select(t => answers[t.Key].Answered - t.Value.Ready).ToList();
        return new DagMeasurement(
            0,
            dependencies,
            gatewayUp,
            firstStart - launched,
            lastReady - launched,
            answers.Values.Max(a => a.Answered) - launched,
            detections,
            chain.Values.Max(),
            Median(startups),
            [.. wakeUps.Select(w => w.Latency)],
            levels,
            0);
    }

    /// <summary>The moment a service printed in its ready line (<c>ready &lt;epoch ns&gt;</c>); null for another line.</summary>
    private static DateTimeOffset? ReadyAt(string? line)
    {
        var parts = line?.Split(' ');
        return parts is ["ready", var ns] && long.TryParse(ns, NumberStyles.None, CultureInfo.InvariantCulture, out var nanoseconds)
            ? DateTimeOffset.UnixEpoch.AddTicks(nanoseconds / 100)
            : null;
    }

    /// <summary>When the status's last line is not the ready line (a later line, or not yet published there): the log.</summary>
    private static async Task<DateTimeOffset?> ReadyFromLogAsync(HttpClient http, string name, CancellationToken cancellationToken)
    {
        var tail = await http.GetFromJsonAsync<JsonElement>(new Uri($"api/logs/{Node}/{name}?lines=20", UriKind.Relative), cancellationToken);
        return tail.GetProperty("lines").EnumerateArray().Select(l => ReadyAt(l.GetProperty("text").GetString())).FirstOrDefault(r => r is not null);
    }

    /// <summary>
    /// Processes whose working directory is in the round's directory (every process of the stack runs there): none may
    /// outlive the node. Any found is reported, then killed so the next round starts clean.
    /// </summary>
    private static int LeftBehind(string directory)
    {
        var left = 0;
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            string? cwd;
            try
            {
                cwd = File.ResolveLinkTarget(Path.Combine(entry, "cwd"), returnFinalTarget: false)?.FullName;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue; // gone meanwhile, or another user's
            }

            if (cwd is not null && (cwd == directory || cwd.StartsWith(directory + "/", StringComparison.Ordinal)))
            {
                left++;
                var command = TryRead(Path.Combine(entry, "cmdline"))?.Replace('\0', ' ').Trim();
                LoadRun.Log($"  left behind: pid {pid} ({command}); killing it");
                ChildProcess.Signal(pid, "KILL");
            }
        }

        return left;
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static async Task<string> VersionAsync(string program, CancellationToken cancellationToken)
    {
        using var process = Process.Start(new ProcessStartInfo(program, "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return output.Trim();
    }

    public static TimeSpan Median(IReadOnlyCollection<TimeSpan> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? TimeSpan.Zero : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One wait for ready: when the gateway began waiting (its answer less the waited_ms it reported) and when its answer arrived.</summary>
internal readonly record struct WaitAnswer(DateTimeOffset Parked, DateTimeOffset Answered);

/// <summary>One round of one variant; times from the launch of <c>brummer up</c> unless said otherwise.</summary>
/// <param name="GatewayUp">Until <c>brummer up</c> printed its MCP URL (node and gateway up, the gateway has seen the node).</param>
/// <param name="FirstStart">Until the first process started (its <c>started_at</c>).</param>
/// <param name="LastReady">Until the last process printed its ready line.</param>
/// <param name="AllAnswered">Until the gateway had answered all the waits for ready (its view had all ready).</param>
/// <param name="Detections">Per process whose wait was parked at the gateway before its ready line: from that line to the answer.</param>
/// <param name="CriticalPath">The longest chain of the round's measured startups through the graph: the time with instant orchestration.</param>
/// <param name="Startup">Median per-process startup, from <c>started_at</c> to its ready line (spawn included).</param>
/// <param name="WakeUps">Per dependent: from its last dependency's ready line to its own start.</param>
/// <param name="LeftBehind">Processes still running in the round's directory after the node stopped.</param>
internal sealed record DagMeasurement(
    int Round,
    bool Dependencies,
    TimeSpan GatewayUp,
    TimeSpan FirstStart,
    TimeSpan LastReady,
    TimeSpan AllAnswered,
    IReadOnlyList<TimeSpan> Detections,
    TimeSpan CriticalPath,
    TimeSpan Startup,
    IReadOnlyList<TimeSpan> WakeUps,
    IReadOnlyList<DagLevel> Levels,
    int LeftBehind)
{
    /// <summary>The figure: from the first process's start to the last one's ready line (the processes' own view).</summary>
    public TimeSpan Stack => LastReady - FirstStart;

    /// <summary>From the first process's start until the gateway had every process ready (health ready, as a user sees it).</summary>
    public TimeSpan AllReady => AllAnswered - FirstStart;

    /// <summary>The gateway was up only after the last ready line: its answers say when it started, not when the stack was ready.</summary>
    public bool GatewayLate => GatewayUp > LastReady;
}

/// <summary>One level of a round, from the round's first start.</summary>
internal sealed record DagLevel(int Level, TimeSpan FirstStart, TimeSpan LastStart, TimeSpan LastReady, IReadOnlyList<TimeSpan> WakeUps);
