using System.Globalization;

namespace Brummer.LoadTest;

/// <summary>What one run does; every value has a default that keeps a run under about three minutes.</summary>
internal sealed record LoadTestOptions
{
    /// <summary>
    /// Churn: 2 nodes + gateway, scripts started and stopped. Flood: <c>brummer up</c>, one script printing flat out.
    /// Contention: <c>brummer up</c>, MCP clients looping a catastrophic logs_search.
    /// </summary>
    public LoadScenario Scenario { get; init; } = LoadScenario.Churn;

    public int Clients { get; init; } = 64;

    /// <summary>Contention: MCP clients asking scripts_status, each every <see cref="StatusInterval"/>.</summary>
    public int StatusClients { get; init; } = 4;

    /// <summary>Contention: how often each status client asks, whether or not its previous call has answered.</summary>
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Contention: each measured window (idle before, contended, idle after).</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Contention: MCP clients each looping the catastrophic logs_search (the 16).</summary>
    public int SearchClients { get; init; } = 16;

    /// <summary>Contention: scripts that print the lines searched, and how many lines each.</summary>
    public int SearchScripts { get; init; } = 4;

    public int SearchLines { get; init; } = 2_000;

    /// <summary>Contention: the longest wait, after the searches stop, for the node to have finished searching.</summary>
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(180);

    /// <summary>Starts: services started at once by each manager.</summary>
    public int Starts { get; init; } = 100;

    /// <summary>Starts: the pm2 program to compare with; null: pm2 on PATH, or none.</summary>
    public string? Pm2 { get; init; }

    /// <summary>Stack-dag: levels of the dependency graph, processes per level, and each process's startup time.</summary>
    public int DagLevels { get; init; } = 5;

    public int DagWidth { get; init; } = 20;

    public TimeSpan DagStartup { get; init; } = TimeSpan.FromSeconds(0.2);

    /// <summary>Stack-dag: the program every process runs.</summary>
    public DagService DagService { get; init; } = DagService.Shell;

    /// <summary>Telemetry scenarios: the configurations compared, each a cluster of its own, all started at once.</summary>
    public IReadOnlyList<TelemetryConfig> TelemetryConfigs { get; init; } = TelemetryConfig.All;

    /// <summary>
    /// Telemetry scenarios: processes (or clusters) started per configuration. Two `brummer up` of the same build
    /// differ at p99 by up to ±30 % on a loaded 2-core machine; with several per configuration, each configuration's
    /// figures pool every call to all of its processes, and the spread among the `off` processes shows the noise.
    /// </summary>
    public int Replicas { get; init; } = 1;

    /// <summary>What a telemetry run starts: each configuration <see cref="Replicas"/> times (numbered when more than once).</summary>
    public IReadOnlyList<TelemetryConfig> TelemetryInstances => Replicas <= 1
        ? TelemetryConfigs
        : [.. Enumerable.Range(1, Replicas).SelectMany(r => TelemetryConfigs.Select(c => c with { Replica = r }))];

    /// <summary>Bytes per line (newline included) the flood script prints.</summary>
    public int FloodLineBytes { get; init; } = 100;

    /// <summary>At most this much MCP load, then half as much JSON API load, before the first measured phase (JIT tiering).</summary>
    public TimeSpan JitWarmup { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Each of the two raw HTTP baselines (GET /healthz, GET /api/processes).</summary>
    public TimeSpan FloorDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Rounds of (churn segment, idle segment) for the MCP clients: the figure and its baseline, interleaved.</summary>
    public int Rounds { get; init; } = 5;

    /// <summary>Length of one segment, settle time included.</summary>
    public TimeSpan Segment { get; init; } = TimeSpan.FromSeconds(7);

    /// <summary>Not measured at the start of each segment, after the churn was switched on or off.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>One MCP client while the churn runs: the staleness baseline.</summary>
    public TimeSpan BaselineDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The paced phase: this many MCP calls per second in all, asked on schedule over <see cref="Clients"/> connections
    /// whether or not earlier calls have answered (0: no paced phase).
    /// </summary>
    public double PacedRate { get; init; } = 5_000;

    /// <summary>Control calls per second (run / stop / restart) issued by the churn.</summary>
    public double ChurnRate { get; init; } = 24;

    public int ScriptsPerNode { get; init; } = 50;

    public TimeSpan ShortLifetime { get; init; } = TimeSpan.FromSeconds(0.2);

    /// <summary>host:port of a Redis for membership; null for development clustering (no Redis needed).</summary>
    public string? Redis { get; init; } = Environment.GetEnvironmentVariable("BRUMMER_TEST_REDIS") is { Length: > 0 } redis ? redis : null;

    public string BrummerDll { get; init; } = Path.Combine(AppContext.BaseDirectory, "brummer.dll");

    /// <summary>Where the markdown report is also written (it always goes to stdout).</summary>
    public string? Output { get; init; }

    /// <summary>What code was measured, for the report; by default the working directory's git commit.</summary>
    public string? Code { get; init; }

    /// <summary>Keep the run directory (stacks and the cluster's logs) instead of deleting it.</summary>
    public bool KeepFiles { get; init; }

    public const string Usage = """
        Brummer load test: MCP clients calling scripts_status at a gateway while something else happens.
          churn (default): 2 nodes + 1 gateway as OS processes; scripts are run, stopped and restarted.
          flood: one `brummer up` process; one of its scripts prints lines as fast as its pipe takes them.
          contention: one `brummer up` process; other MCP clients loop a logs_search with a catastrophic regex.
          starts: N node.js services started at once by `brummer up` through npm run, by `brummer up` directly,
                  and by pm2; rounds interleave the three (no MCP clients).
          telemetry-status: churn's cluster once per telemetry configuration (OTLP export off, on, on without
                  script logs), all started at once; the raw MCP loops poll each in turn, with and without churn.
          telemetry-flood: one `brummer up` per telemetry configuration, all started at once; one raw MCP client
                  polls each in turn while its flood script prints flat out, and while it does not.
          stack-dag: `brummer up` over a brummer.yaml of levels × width processes, each level waiting
                  (process_healthy) for 2-3 of the level below, until all are ready; baseline: the same
                  processes without depends_on; rounds alternate the two (no MCP clients).
        Churn and flood alternate segments with and without that load; contention measures idle, contended, idle
        again. Each figure has its baseline from the same run.

          dotnet run -c Release --project benchmarks/Brummer.LoadTest -- [--scenario churn|flood|contention] [options]

          --scenario NAME      churn, flood, contention, starts, stack-dag,               [churn]
                               telemetry-status or telemetry-flood
          --clients N          concurrent MCP clients (and HTTP loops in the baselines);  [64]
                               flood measures with 1 client, then with N
          --jit-warmup S       at most S seconds of MCP, then S/2 of JSON API load, before [30]
                               all phases; each stops once its rate stops rising
          --warmup S           seconds of warm-up before each measured phase              [3]
          --floor S            seconds of each raw HTTP baseline                          [10]
          --rounds N           rounds of (load segment, idle segment) for the MCP clients  [5]
                               (starts: rounds of the three managers)
          --starts N           starts: services each manager starts at once               [100]
          --pm2 PATH           starts: the pm2 to compare with (default: pm2 on PATH)
          --dag-levels N       stack-dag: levels of the dependency graph                  [5]
          --dag-width N        stack-dag: processes per level                             [20]
          --dag-startup S      stack-dag: each process's startup before it prints ready   [0.2]
          --dag-service NAME   stack-dag: sh (sleep, print) or node (node -e, a timer)    [sh]
          --segment S          seconds of each segment                                     [7]
          --settle S           seconds not measured after each switch of the churn        [1]
          --baseline S         seconds of churn with 1 MCP client (staleness baseline)    [15]
          --churn-rate N       control calls per second during the churn                  [24]
          --paced-rate N       churn: MCP calls/s of the paced (open-loop) phase, 0: none [5000]
          --scripts-per-node N scripts per node, half long-running, half short            [50]
          --short-lifetime S   how long a short script runs before exiting                [0.2]
          --flood-line N       flood: bytes per line, newline included                    [100]
          --telemetry-configs  telemetry: comma-separated, of off (no OTEL_* variable),    [off,on,on-nologs]
                               on (OTEL_EXPORTER_OTLP_ENDPOINT = a counting sink in this tool,
                               http/protobuf, SDK default intervals), on-nologs (the same with
                               --otel-logs off)
          --replicas N         telemetry: processes (clusters) per configuration, pooled  [1]
          --status-clients N   contention: MCP clients asking scripts_status              [4]
          --status-interval MS contention: each asks every MS ms, answered or not         [100]
          --window S           contention: seconds of each measured window                [20]
                               (idle before, contended, idle after)
          --search-clients N   contention: MCP clients looping the catastrophic search    [16]
          --search-scripts N   contention: scripts printing the searched lines            [4]
          --search-lines N     contention: lines each of them prints                      [2000]
          --drain S            contention: longest wait for the node to finish searching  [180]
                               once the searches stop
          --redis HOST:PORT    Redis membership (default: $BRUMMER_TEST_REDIS, else dev clustering)
          --dev                development clustering even if BRUMMER_TEST_REDIS is set
          --brummer PATH       brummer.dll to start (default: the one built next to this tool)
          --out FILE           also write the markdown report to FILE
          --code TEXT          what code was measured, for the report (default: git HEAD of the working directory)
          --keep               keep the run directory (stacks, logs of nodes and gateway)
        """;

    public static LoadTestOptions Parse(string[] args)
    {
        var options = new LoadTestOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            double Number() => double.Parse(Value(), CultureInfo.InvariantCulture);
            options = args[i] switch
            {
                "--scenario" => options with { Scenario = Value() switch
                {
                    "churn" => LoadScenario.Churn,
                    "flood" => LoadScenario.Flood,
                    "contention" => LoadScenario.Contention,
                    "starts" => LoadScenario.Starts,
                    "stack-dag" => LoadScenario.StackDag,
                    "telemetry-status" => LoadScenario.TelemetryStatus,
                    "telemetry-flood" => LoadScenario.TelemetryFlood,
                    var other => throw new ArgumentException($"--scenario '{other}': churn, flood, contention, starts, stack-dag, telemetry-status or telemetry-flood"),
                } },
                "--telemetry-configs" => options with
                {
                    TelemetryConfigs = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(TelemetryConfig.Parse)],
                },
                "--clients" => options with { Clients = (int)Number() },
                "--flood-line" => options with { FloodLineBytes = (int)Number() },
                "--jit-warmup" => options with { JitWarmup = TimeSpan.FromSeconds(Number()) },
                "--warmup" => options with { Warmup = TimeSpan.FromSeconds(Number()) },
                "--floor" => options with { FloorDuration = TimeSpan.FromSeconds(Number()) },
                "--rounds" => options with { Rounds = (int)Number() },
                "--replicas" => options with { Replicas = (int)Number() },
                "--status-clients" => options with { StatusClients = (int)Number() },
                "--search-clients" => options with { SearchClients = (int)Number() },
                "--search-scripts" => options with { SearchScripts = (int)Number() },
                "--search-lines" => options with { SearchLines = (int)Number() },
                "--status-interval" => options with { StatusInterval = TimeSpan.FromMilliseconds(Number()) },
                "--window" => options with { Window = TimeSpan.FromSeconds(Number()) },
                "--drain" => options with { Drain = TimeSpan.FromSeconds(Number()) },
                "--segment" => options with { Segment = TimeSpan.FromSeconds(Number()) },
                "--settle" => options with { Settle = TimeSpan.FromSeconds(Number()) },
                "--baseline" => options with { BaselineDuration = TimeSpan.FromSeconds(Number()) },
                "--churn-rate" => options with { ChurnRate = Number() },
                "--paced-rate" => options with { PacedRate = Number() },
                "--scripts-per-node" => options with { ScriptsPerNode = (int)Number() },
                "--short-lifetime" => options with { ShortLifetime = TimeSpan.FromSeconds(Number()) },
                "--redis" => options with { Redis = Value() },
                "--dev" => options with { Redis = null },
                "--brummer" => options with { BrummerDll = Path.GetFullPath(Value()) },
                "--out" => options with { Output = Path.GetFullPath(Value()) },
                "--code" => options with { Code = Value() },
                "--keep" => options with { KeepFiles = true },
                "--starts" => options with { Starts = (int)Number() },
                "--pm2" => options with { Pm2 = Path.GetFullPath(Value()) },
                "--dag-levels" => options with { DagLevels = (int)Number() },
                "--dag-width" => options with { DagWidth = (int)Number() },
                "--dag-startup" => options with { DagStartup = TimeSpan.FromSeconds(Number()) },
                "--dag-service" => options with { DagService = Value() switch
                {
                    "sh" => DagService.Shell,
                    "node" => DagService.Node,
                    var other => throw new ArgumentException($"--dag-service '{other}': sh or node"),
                } },
                _ => throw new ArgumentException($"unknown option '{args[i]}'"),
            };
        }

        if (options.Clients < 1 || options.ChurnRate <= 0 || options.ScriptsPerNode < 4 || options.Rounds < 1 || options.Settle >= options.Segment ||
            options.BaselineDuration <= TimeSpan.FromSeconds(1) || options.FloodLineBytes is < 2 or > 16_384 || options.PacedRate < 0)
        {
            throw new ArgumentException("--clients must be ≥ 1, --churn-rate > 0, --scripts-per-node ≥ 4, --rounds ≥ 1, --settle < --segment, --baseline > 1, --flood-line 2..16384, --paced-rate ≥ 0");
        }

        if (options.Starts < 1)
        {
            throw new ArgumentException("--starts must be ≥ 1");
        }

        if (options.DagLevels < 1 || options.DagWidth < 3 || options.DagStartup < TimeSpan.Zero)
        {
            throw new ArgumentException("--dag-levels must be ≥ 1, --dag-width ≥ 3, --dag-startup ≥ 0");
        }

        if (options.StatusClients < 1 || options.SearchClients < 1 || options.SearchScripts < 1 || options.SearchLines < 1 ||
            options.StatusInterval <= TimeSpan.Zero || options.Window <= TimeSpan.Zero || options.Drain <= TimeSpan.Zero)
        {
            throw new ArgumentException("--status-clients, --search-clients, --search-scripts and --search-lines must be ≥ 1; --status-interval, --window and --drain > 0");
        }

        return options;
    }
}

internal enum LoadScenario
{
    Churn,
    Flood,
    Contention,
    Starts,
    StackDag,
    TelemetryStatus,
    TelemetryFlood,
}

/// <summary>One telemetry configuration under test: whether the hosts export over OTLP, and whether script output does.</summary>
internal sealed record TelemetryConfig(string Name, bool Export, bool OutputLogs)
{
    public static readonly TelemetryConfig Off = new("off", Export: false, OutputLogs: true);
    public static readonly TelemetryConfig On = new("on", Export: true, OutputLogs: true);
    public static readonly TelemetryConfig OnNoLogs = new("on-nologs", Export: true, OutputLogs: false);

    public static IReadOnlyList<TelemetryConfig> All { get; } = [Off, On, OnNoLogs];

    public static TelemetryConfig Parse(string name) =>
        All.FirstOrDefault(c => c.Name == name) ?? throw new ArgumentException($"--telemetry-configs: '{name}' is none of off, on, on-nologs");

    /// <summary>The OTEL_* variables of its processes (the load tool clears its own before starting any).</summary>
    public Dictionary<string, string> Environment(Uri sink) => Export
        ? new(StringComparer.Ordinal) { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = sink.ToString().TrimEnd('/'), ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf" }
        : new(StringComparer.Ordinal);

    /// <summary>Added to <c>brummer up</c> / <c>brummer node</c>.</summary>
    public IReadOnlyList<string> Args => OutputLogs ? [] : ["--otel-logs", "off"];

    /// <summary>Which of its configuration's processes (1, 2, ...) with --replicas; 0 when it is the only one.</summary>
    public int Replica { get; init; }

    /// <summary>The name, numbered when the configuration has several processes ("on #2").</summary>
    public string Label => Replica == 0 ? Name : $"{Name} #{Replica}";

    /// <summary>Its processes' directory in the run directory (no space: stand-in scripts run through a shell).</summary>
    public string DirectoryName => Replica == 0 ? Name : $"{Name}-{Replica}";

    public string Describe => (Export, OutputLogs) switch
    {
        (false, _) => "no OTEL_* variable: nothing exported",
        (true, true) => "OTEL_EXPORTER_OTLP_ENDPOINT = the sink, http/protobuf: traces, metrics, host logs and script output exported",
        (true, false) => "the same with `--otel-logs off`: traces, metrics and host logs exported, script output not",
    };
}
