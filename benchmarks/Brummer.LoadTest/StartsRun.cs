using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Brummer.LoadTest;

/// <summary>
/// Starts scenario: how long the same N node.js services take to be up when started as package.json scripts by
/// <c>brummer up</c> through <c>npm run</c> (<c>BRUMMER_DIRECT_SCRIPTS=0</c>), by <c>brummer up</c> directly (the
/// default), and by pm2 from an ecosystem file. Rounds interleave the three, so each figure has the others beside it
/// on the same shared machine. A service is up when it has written its marker file (its code runs); the managers'
/// own "started" (every run call answered running; <c>pm2 start</c> returned) is reported beside it.
/// </summary>
internal sealed class StartsRun(LoadTestOptions options)
{
    private const string Node = "local";

    /// <summary>The gateway's control lane: this many calls at once (src/Gateway/Traffic/RequestLane.cs).</summary>
    public static readonly int ControlCalls = Math.Max(4, Environment.ProcessorCount * 4);

    /// <summary>The service every manager starts: node.js, a marker file once its code runs, then idle until stopped.</summary>
    private const string Service = "require('fs').writeFileSync(process.argv[2], String(process.pid)); setInterval(() => {}, 1000);\n";

    public async Task<StartsReport> RunAsync(string runDirectory, CancellationToken cancellationToken)
    {
        var report = new StartsReport(options) { LoadAverageBefore = LoadRun.LoadAverage() };
        var pm2 = options.Pm2 ?? FindOnPath("pm2");
        report.Pm2 = pm2 is null ? null : $"{pm2} {Pm2Version(pm2)}";
        report.NpmVersion = await OutputAsync("npm", ["--version"], runDirectory, null, cancellationToken);
        report.NodeVersion = await OutputAsync("node", ["--version"], runDirectory, null, cancellationToken);
        var service = Path.Combine(runDirectory, "service.js");
        await File.WriteAllTextAsync(service, Service, cancellationToken);

        for (var round = 1; round <= options.Rounds; round++)
        {
            foreach (var manager in new[] { StartManager.Npm, StartManager.Direct, StartManager.Pm2 })
            {
                if (manager == StartManager.Pm2 && pm2 is null)
                {
                    continue;
                }

                var directory = Path.Combine(runDirectory, $"{manager.ToString().ToLowerInvariant()}-{round}");
                var markers = Path.Combine(directory, "up");
                Directory.CreateDirectory(markers);
                LoadRun.Log($"round {round}/{options.Rounds}: {options.Starts} services via {manager}");
                var measured = manager == StartManager.Pm2
                    ? await Pm2Async(pm2!, directory, service, markers, cancellationToken)
                    : await BrummerAsync(manager == StartManager.Direct, directory, service, markers, cancellationToken);
                LoadRun.Log($"  started {measured.Started.TotalSeconds:0.00} s, all up {measured.Up.TotalSeconds:0.00} s");
                report.Rounds.Add(measured with { Round = round, Manager = manager });
            }
        }

        report.LoadAverageAfter = LoadRun.LoadAverage();
        return report;
    }

    private async Task<StartMeasurement> BrummerAsync(bool direct, string directory, string service, string markers, CancellationToken cancellationToken)
    {
        var names = Enumerable.Range(0, options.Starts).Select(i => $"svc-{i:000}").ToList();
        var scripts = names.ToDictionary(n => n, n => $"node {service} {Path.Combine(markers, n)}");
        await File.WriteAllTextAsync(
            Path.Combine(directory, "package.json"),
            JsonSerializer.Serialize(new { name = "starts", version = "1.0.0", @private = true, scripts }),
            cancellationToken);

        var environment = new Dictionary<string, string> { ["BRUMMER_DIRECT_SCRIPTS"] = direct ? "1" : "0" };
        await using var brummer = ChildProcess.Start(
            "up", options.BrummerDll, environment, Path.Combine(directory, "brummer.log"),
            "up", "--node", Node, "--dir", directory, "--port", "0", "--stop-timeout", "2");
        try
        {
            var mcp = await brummer.WaitForLineAsync(l => l.StartsWith("MCP:", StringComparison.Ordinal), TimeSpan.FromSeconds(90), cancellationToken);
            using var http = new HttpClient { BaseAddress = new Uri(new Uri(mcp["MCP:".Length..].Trim()), "/"), Timeout = TimeSpan.FromMinutes(5) };
            var listed = await http.GetFromJsonAsync<JsonElement>(new Uri("api/scripts", UriKind.Relative), cancellationToken);
            var source = listed.GetProperty("scripts")[0].GetProperty("source").GetString();
            if (source != (direct ? "package.json (npm, direct)" : "package.json (npm)"))
            {
                throw new InvalidOperationException($"brummer lists the scripts as '{source}': not the start this pass measures");
            }

            // Settle after the node's own start, so its JIT and startup work is not counted against the scripts.
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            var clock = Stopwatch.StartNew();
            // As many calls in flight as the gateway's control lane admits at once; more would only queue there.
            await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = ControlCalls, CancellationToken = cancellationToken }, async (name, ct) =>
            {
                using var response = await http.PostAsync(new Uri($"api/processes/{Node}/{name}/run", UriKind.Relative), null, ct);
                var body = await response.Content.ReadAsStringAsync(ct);
                if (!response.IsSuccessStatusCode || !body.Contains("\"running\"", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"run {name} answered {(int)response.StatusCode}: {body}");
                }
            });
            var started = clock.Elapsed;
            var up = await AllUpAsync(markers, clock, cancellationToken);
            return new StartMeasurement(0, default, started, up);
        }
        finally
        {
            await brummer.StopAsync(TimeSpan.FromSeconds(30));
        }
    }

    private async Task<StartMeasurement> Pm2Async(string pm2, string directory, string service, string markers, CancellationToken cancellationToken)
    {
        var apps = Enumerable.Range(0, options.Starts)
            .Select(i => $"    {{ name: 'svc-{i:000}', script: {JsonSerializer.Serialize(service)}, args: [{JsonSerializer.Serialize(Path.Combine(markers, $"svc-{i:000}"))}] }},")
            .ToList();
        var ecosystem = Path.Combine(directory, "ecosystem.config.js");
        await File.WriteAllTextAsync(ecosystem, $"module.exports = {{\n  apps: [\n{string.Join('\n', apps)}\n  ],\n}};\n", cancellationToken);
        var home = Path.Combine(directory, "pm2-home");
        try
        {
            // The daemon first, unmeasured, as brummer up is started before its scripts.
            await OutputAsync(pm2, ["ping"], directory, home, cancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            var clock = Stopwatch.StartNew();
            await OutputAsync(pm2, ["start", ecosystem], directory, home, cancellationToken);
            var started = clock.Elapsed;
            var up = await AllUpAsync(markers, clock, cancellationToken);
            var list = await OutputAsync(pm2, ["jlist"], directory, home, cancellationToken);
            var online = JsonDocument.Parse(list).RootElement.EnumerateArray().Count(p => p.GetProperty("pm2_env").GetProperty("status").GetString() == "online");
            if (online != options.Starts)
            {
                throw new InvalidOperationException($"pm2 lists {online} of {options.Starts} apps online");
            }

            return new StartMeasurement(0, default, started, up);
        }
        finally
        {
            await OutputAsync(pm2, ["kill"], directory, home, CancellationToken.None);
        }
    }

    private async Task<TimeSpan> AllUpAsync(string markers, Stopwatch clock, CancellationToken cancellationToken)
    {
        var limit = TimeSpan.FromMinutes(5);
        while (Directory.EnumerateFiles(markers).Count() < options.Starts)
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"only {Directory.EnumerateFiles(markers).Count()} of {options.Starts} services were up after {limit.TotalMinutes:0} minutes");
            }

            await Task.Delay(5, cancellationToken);
        }

        return clock.Elapsed;
    }

    /// <summary>From its package.json: <c>pm2 --version</c> would start a daemon.</summary>
    private static string Pm2Version(string pm2)
    {
        var script = File.ResolveLinkTarget(pm2, returnFinalTarget: true)?.FullName ?? pm2;
        var package = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(script))!, "package.json");
        return File.Exists(package) && JsonDocument.Parse(File.ReadAllText(package)).RootElement.TryGetProperty("version", out var v) ? v.GetString() ?? "?" : "?";
    }

    private static async Task<string> OutputAsync(string program, string[] args, string directory, string? pm2Home, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = directory };
        if (pm2Home is not null)
        {
            start.Environment["PM2_HOME"] = pm2Home;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {process.ExitCode}: {await error}");
        }

        return (await output).Trim();
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);
}

internal enum StartManager
{
    Npm,
    Direct,
    Pm2,
}

/// <param name="Started">Until the manager said so: every run call answered <c>running</c>, or <c>pm2 start</c> returned.</param>
/// <param name="Up">Until every service's code ran (its marker file exists).</param>
internal sealed record StartMeasurement(int Round, StartManager Manager, TimeSpan Started, TimeSpan Up);
