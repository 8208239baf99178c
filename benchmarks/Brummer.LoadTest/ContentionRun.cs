using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Brummer.LoadTest;

/// <summary>
/// The contention scenario: are cheap reads queued behind expensive ones? One <c>brummer up</c> whose word scripts
/// have printed lines on which <see cref="SearchPattern"/> backtracks catastrophically, so every line costs a search
/// the node's whole per-line regex limit and every search its whole time budget. <c>--status-clients</c> MCP clients
/// ask scripts_status at a steady pace (beside them one JSON API and one /healthz caller: ceilings with no MCP queue in
/// front), in three windows of one run: idle; while <c>--search-clients</c> other MCP clients loop that logs_search;
/// idle again once the node has finished every search it was given.
/// </summary>
internal sealed class ContentionRun(LoadTestOptions options)
{
    /// <summary>Nested quantifiers over word characters: exponential backtracking on a line of words that does not end in one.</summary>
    public const string SearchPattern = @"^(\w+\s?)+$";

    public const string WordsPrefix = "words-";

    /// <summary>What the word scripts print, followed by the line's number and '!'.</summary>
    public const string WordsLine = "queue worker finished processing the nightly batch for tenant acme in good order line";

    public async Task<ContentionReport> RunAsync(string runDirectory, CancellationToken cancellationToken)
    {
        var report = new ContentionReport(options) { LoadAverageBefore = LoadRun.LoadAverage() };
        LoadRun.Log($"starting `brummer up` from {options.BrummerDll}");
        await using var brummer = await BrummerCluster.StartEmbeddedAsync(options, runDirectory, WordScripts(), cancellationToken);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        await brummer.WaitForNodesAsync(http, cancellationToken);
        LoadRun.Log($"{brummer.GatewayUrl} lists the stack; starting its {options.ScriptsPerNode} long and {options.SearchScripts} word scripts");
        await LoadRun.PrimeAsync(brummer, http, cancellationToken);
        await WaitForWordsAsync(brummer, http, cancellationToken);
        report.StatusAnswerBytes = (await http.GetByteArrayAsync(new Uri(brummer.GatewayUrl, "/api/processes"), cancellationToken)).Length;

        var cpu = new CpuSampler([("brummer up", brummer.Gateway.Pid), ("load tool", Environment.ProcessId)]);
        var statusClients = await LoadRun.ConnectAsync(brummer.McpUrl, options.StatusClients, cancellationToken);
        var searchClients = await LoadRun.ConnectAsync(brummer.McpUrl, options.SearchClients, cancellationToken);
        using var floorHttp = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue });
        var callers = new Caller[]
        {
            new("MCP `scripts_status`", options.StatusClients, (i, ct) => LoadRun.StatusAsync(statusClients[i], null, null, ct)),
            new("JSON API `GET /api/processes`", 1, (_, ct) => LoadRun.GetAsync(floorHttp, new Uri(brummer.GatewayUrl, "/api/processes"), ct)),
            new("`GET /healthz`", 1, (_, ct) => LoadRun.GetAsync(floorHttp, new Uri(brummer.GatewayUrl, "/healthz"), ct)),
        };
        var searches = new SearchLoad(searchClients, SearchPattern);
        try
        {
            report.WarmupSeconds = await LoadRun.WarmUpAsync(
                "MCP", options.StatusClients, (i, ct) => LoadRun.StatusAsync(statusClients[i], null, null, ct), options.JitWarmup, cpu, cancellationToken);

            report.IdleBefore = await MeasureAsync("idle", callers, cpu, null, cancellationToken);

            LoadRun.Log($"starting {options.SearchClients} clients looping logs_search '{SearchPattern}'");
            var started = Stopwatch.GetTimestamp();
            searches.Start(cancellationToken);
            await searches.FirstAnswerAsync(options.Drain, cancellationToken);
            report.FirstSearchSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            report.Contended = await MeasureAsync("contended", callers, cpu, searches, cancellationToken);

            // Every status call asked in the window has answered; the searches stop only now, so none waited without them.
            report.Searches = searches.Take(options.Window);
            report.SearchesDrained = await searches.StopAsync();
            LoadRun.Log($"searches stopped; their last calls answered after {report.SearchesDrained.TotalSeconds:0.0} s; waiting for the node to finish searching");
            report.NodeDrained = await WaitForNodeIdleAsync(brummer, http, cancellationToken);
            LoadRun.Log($"the node answers a search at once again after {report.NodeDrained.TotalSeconds:0.0} s more");

            report.IdleAfter = await MeasureAsync("idle again", callers, cpu, null, cancellationToken);
        }
        finally
        {
            await searches.DisposeAsync();
            foreach (var client in statusClients.Concat(searchClients))
            {
                await client.DisposeAsync();
            }
        }

        report.LoadAverageAfter = LoadRun.LoadAverage();
        LoadRun.Log("stopping brummer up");
        return report;
    }

    /// <summary>
    /// One window, every caller at once, each asking at the steady pace: a call counts for the window it was asked in,
    /// however long it waited (the window's end waits for its last answer). With <paramref name="searches"/>, records
    /// the searches that answer during the window.
    /// </summary>
    private async Task<PhaseResult[]> MeasureAsync(string label, Caller[] callers, CpuSampler cpu, SearchLoad? searches, CancellationToken cancellationToken)
    {
        LoadRun.Log($"window '{label}': {options.Settle.TotalSeconds:0} s settling + {options.Window.TotalSeconds:0} s, each caller asking every {options.StatusInterval.TotalMilliseconds:0} ms");
        var segments = new[] { new Segment(0, options.Settle + options.Window, options.Settle) };
        var results = await Task.WhenAll(callers.Select((caller, i) => ClosedLoop.RunAsync(
            [$"{caller.Name}, {label}"],
            caller.Workers,
            caller.Call,
            segments,
            cpu,
            i == 0 && searches is not null
                ? (_, e, _) =>
                {
                    searches.Record(e == SegmentEvent.Measure);
                    return Task.CompletedTask;
                }
                : null,
            options.StatusInterval,
            cancellationToken)));
        return [.. results.Select(r => r[0])];
    }

    /// <summary>
    /// Until a plain search on one word script answers at once with no node unreachable: the gateway gives up on a
    /// search after its call timeout, but the node runs every search it was sent to the end, one after the other, so
    /// its CPU is still taken long after the last caller got its answer.
    /// </summary>
    private async Task<TimeSpan> WaitForNodeIdleAsync(BrummerCluster brummer, HttpClient http, CancellationToken cancellationToken)
    {
        var probe = new Uri(brummer.GatewayUrl, $"/api/logs?query=no-such-text&name={WordsPrefix}0&limit=1");
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var asked = Stopwatch.GetTimestamp();
            var answer = await http.GetFromJsonAsync<JsonElement>(probe, cancellationToken);
            if (answer.GetProperty("unreachable_nodes").GetArrayLength() == 0 && Stopwatch.GetElapsedTime(asked) < TimeSpan.FromSeconds(1))
            {
                return Stopwatch.GetElapsedTime(started);
            }

            if (Stopwatch.GetElapsedTime(started) > options.Drain)
            {
                throw new TimeoutException($"the node was still busy searching {options.Drain.TotalSeconds:0} s after the searches stopped (--drain)");
            }
        }
    }

    /// <summary>
    /// Scripts that print <c>--search-lines</c> lines of words ending in '!' and then sleep: the pattern cannot match,
    /// and proving so backtracks through every way of splitting the words (2^60 and more), so each line costs the
    /// node's per-line regex limit (250 ms) and each search its whole budget (2 s), on any machine.
    /// </summary>
    private Dictionary<string, string> WordScripts() =>
        Enumerable.Range(0, options.SearchScripts).ToDictionary(
            i => WordsPrefix + i.ToString(CultureInfo.InvariantCulture),
            i => $"i=0; while [ $i -lt {options.SearchLines} ]; do i=$((i+1)); echo \"{WordsLine} $i!\"; done; exec sleep 3600",
            StringComparer.Ordinal);

    /// <summary>Until every word script's output is in its node's buffer (last_seq, JSON API).</summary>
    private async Task WaitForWordsAsync(BrummerCluster brummer, HttpClient http, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        for (var i = 0; i < options.SearchScripts; i++)
        {
            var tail = new Uri(brummer.GatewayUrl, $"/api/logs/{BrummerCluster.EmbeddedNode}/{WordsPrefix}{i}?lines=1");
            while ((await http.GetFromJsonAsync<JsonElement>(tail, cancellationToken)).GetProperty("last_seq").GetInt64() < options.SearchLines)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"{WordsPrefix}{i} had not printed its {options.SearchLines} lines after 60 s");
                }

                await Task.Delay(100, cancellationToken);
            }
        }
    }

    /// <summary>One kind of cheap read, asked by <paramref name="Workers"/> callers at the steady pace.</summary>
    private sealed record Caller(string Name, int Workers, WorkerCall Call);
}
