using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Brummer.Tests;

namespace Brummer.Cli.Tests;

/// <summary>A brummer.yaml stack brought up by <c>brummer up</c>: dependency order with readiness, then live edits of the file.</summary>
public sealed class StackReloadTests
{
    private static string Port() => Silo.FreePort.Next().ToString(CultureInfo.InvariantCulture);

    private static string Quoted(params string[] steps) => $"'{Dummy.Command(steps).Replace("'", "''", StringComparison.Ordinal)}'";

    private static string Stack(string apiLine, bool withOld, bool withWorker) => $"""
        processes:
          db:
            command: {Quoted("say:db booting", "sleep:300", "say:db ready", "sleep")}
            readiness_probe:
              log: {"{ pattern: 'db ready' }"}
              period_seconds: 0.2
          api:
            command: {Quoted($"say:{apiLine}", "sleep")}
            depends_on:
              db: {"{ condition: process_healthy }"}
        {(withOld ? $"  old:\n    command: {Quoted("say:old", "sleep")}\n" : string.Empty)}{(withWorker ? $"  worker:\n    command: {Quoted("say:worker", "sleep")}\n" : string.Empty)}
        """;

    [Fact]
    public async Task Up_StartsTheStackInDependencyOrder_AndPicksUpEditsToTheFile()
    {
        using var stack = StackDirectory.WithFiles(("brummer.yaml", Stack("api v1", withOld: true, withWorker: false)));
        var port = Port();
        await using var brummer = BrummerProcess.Start("up", "--dir", stack.Path, "--port", port, "--node", "solo");
        await brummer.McpUrlAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        var ct = TestContext.Current.CancellationToken;

        async Task<Dictionary<string, JsonElement>> ProcessesAsync() =>
            JsonDocument.Parse(await http.GetStringAsync(new Uri("api/processes", UriKind.Relative), ct)).RootElement.GetProperty("processes")
                .EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.Clone());

        // Autostart: api waits for db to be ready (its log probe), then starts.
        var up = await Eventually.UntilAsync(ProcessesAsync, p => p.TryGetValue("api", out var api) && api.GetProperty("last_line").GetString() == "api v1", "api to start after db is ready", TimeSpan.FromMinutes(2));
        Assert.Equal("ready", up["db"].GetProperty("health").GetString());
        var dbReadyAt = DateTime.Parse(up["db"].GetProperty("started_at").GetString()!, CultureInfo.InvariantCulture).AddMilliseconds(300);
        Assert.True(DateTime.Parse(up["api"].GetProperty("started_at").GetString()!, CultureInfo.InvariantCulture) >= dbReadyAt, "api started before db could be ready");
        var dbPid = up["db"].GetProperty("pid").GetInt32();
        var apiPid = up["api"].GetProperty("pid").GetInt32();
        var oldPid = up["old"].GetProperty("pid").GetInt32();

        // An edit: api changed, old removed, worker added. The node sees the file change on its own.
        await File.WriteAllTextAsync(stack.File("brummer.yaml"), Stack("api v2", withOld: false, withWorker: true), ct);
        var edited = await Eventually.UntilAsync(
            ProcessesAsync,
            p => !p.ContainsKey("old") && p.TryGetValue("worker", out var w) && w.GetProperty("status").GetString() == "running" &&
                p["api"].GetProperty("last_line").GetString() == "api v2",
            "the edit to be applied",
            TimeSpan.FromMinutes(1));
        Assert.Equal(dbPid, edited["db"].GetProperty("pid").GetInt32()); // unchanged: untouched
        Assert.NotEqual(apiPid, edited["api"].GetProperty("pid").GetInt32());
        Assert.False(OsProcesses.IsAlive(apiPid));
        Assert.False(OsProcesses.IsAlive(oldPid));

        // A file that no longer parses changes nothing, and says why.
        await File.WriteAllTextAsync(stack.File("brummer.yaml"), "processes:\n  db:\n    comand: nope\n", ct);
        using var reload = await http.PostAsJsonAsync(new Uri("api/reload", UriKind.Relative), new { }, ct);
        var answer = JsonDocument.Parse(await reload.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("nodes")[0];
        Assert.Contains("brummer.yaml:3:5: unknown key 'comand'", answer.GetProperty("error").GetString(), StringComparison.Ordinal);
        var nodes = await Eventually.UntilAsync(
            async () => JsonDocument.Parse(await http.GetStringAsync(new Uri("api/nodes", UriKind.Relative), ct)).RootElement.GetProperty("nodes")[0].Clone(),
            n => n.TryGetProperty("definitions_error", out _),
            "the node to report its definitions error");
        Assert.Contains("unknown key 'comand'", nodes.GetProperty("definitions_error").GetString(), StringComparison.Ordinal);
        var cli = await BrummerProcess.RunAsync("reload", "--gateway", $"http://127.0.0.1:{port}");
        Assert.NotEqual(0, cli.ExitCode);
        Assert.Contains("solo: not reloaded, still running the previous definitions: ", cli.Output, StringComparison.Ordinal);
        Assert.Contains("unknown key 'comand'", cli.Output, StringComparison.Ordinal);
        var kept = await ProcessesAsync();
        Assert.Equal(["api", "db", "worker"], kept.Keys.Order(StringComparer.Ordinal));
        Assert.All(kept.Values, p => Assert.Equal("running", p.GetProperty("status").GetString()));

        // Nor does one the YAML parser itself chokes on (an unclosed '[' to the end): the file watcher reloads it as well,
        // and the node stays up with what it runs.
        await File.WriteAllTextAsync(stack.File("brummer.yaml"), "processes:\n  db: [\n  api:\n    command: x\n", ct);
        using var choked = await http.PostAsJsonAsync(new Uri("api/reload", UriKind.Relative), new { }, ct);
        var chokedError = JsonDocument.Parse(await choked.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("nodes")[0].GetProperty("error").GetString();
        Assert.StartsWith($"{stack.File("brummer.yaml")}:", chokedError, StringComparison.Ordinal);
        Assert.Contains("invalid YAML", chokedError, StringComparison.Ordinal);
        await Eventually.UntilAsync(
            async () => JsonDocument.Parse(await http.GetStringAsync(new Uri("api/nodes", UriKind.Relative), ct)).RootElement.GetProperty("nodes")[0].Clone(),
            n => n.TryGetProperty("definitions_error", out var e) && e.GetString()!.Contains("invalid YAML", StringComparison.Ordinal),
            "the node to report the YAML error");
        var still = await ProcessesAsync();
        Assert.All(still.Values, p => Assert.Equal("running", p.GetProperty("status").GetString()));
    }
}
