using System.Text.Json;
using Brummer.Silo;
using Brummer.Tests;
using ModelContextProtocol.Client;

namespace Brummer.Cli.Tests;

/// <summary>Two nodes and a gateway as OS processes (dev clustering), whose scripts print; an agent reads their output.</summary>
public sealed class LogsClusterFixture : IAsyncLifetime
{
    private readonly StackDirectory _stackA = new(new Dictionary<string, string>
    {
        ["talk"] = Dummy.Command("say:hello from a", "print:3", "err:warning: disk almost full", "sleep"),
        ["web"] = Dummy.Command("say:listening on http://0.0.0.0:4000/ (press Ctrl+C)", "sleep"),
        ["words"] = Dummy.Command("say:" + string.Concat(Enumerable.Repeat("word ", 30)) + "!", "sleep"),
    });

    private readonly StackDirectory _stackB = new(new Dictionary<string, string>
    {
        ["talk"] = Dummy.Command("say:hello from b", "print:2", "sleep"),
        ["once"] = Dummy.Command("say:run once", "exit:0"),
        ["greeter"] = Dummy.Command("say:greetings", "sleep"),
        // Real Node.js: an uncaught error prints its source line, a caret, the message and the stack.
        ["crash"] = "node -e \"function boot() { throw new Error('database unreachable') } boot()\"",
    });

    private ProcessCluster? _cluster;

    public McpClient Mcp { get; private set; } = null!;

    public string Gateway => _cluster!.GatewayUrl!.ToString();

    public async ValueTask InitializeAsync()
    {
        var (silo, gateway) = (FreePort.Next(), FreePort.Next());
        _cluster = new ProcessCluster($"dev://127.0.0.1:{silo}?gateway={gateway}");
        await _cluster.StartNodeAsync("a", _stackA.Path, silo, gateway);
        await _cluster.StartNodeAsync("b", _stackB.Path, 0, 0);
        Mcp = await _cluster.StartGatewayAsync();
        await Eventually.UntilAsync(
            async () => (await Mcp.CallAsync("nodes_list")).GetProperty("nodes").GetArrayLength(),
            count => count == 2,
            "both nodes known to the gateway");
        await Mcp.CallAsync("scripts_run", new { name = "talk", node = "a" });
        await Mcp.CallAsync("scripts_run", new { name = "talk", node = "b" });
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        _stackA.Dispose();
        _stackB.Dispose();
    }
}

public sealed class LogToolsTests(LogsClusterFixture cluster) : IClassFixture<LogsClusterFixture>
{
    private McpClient Mcp => cluster.Mcp;

    [Fact]
    public async Task LogsSearch_AcrossBothNodes_NewestFirst_FilteredByNodeStreamAndRegex()
    {
        var both = await Eventually.UntilAsync(
            () => SearchAsync(new { query = "^hello from [ab]$", regex = true }),
            lines => lines.Select(l => l.GetProperty("node").GetString()).Distinct().Count() == 2,
            "the greeting of both nodes (other tests may restart a script: at least one each)");
        var times = both.Select(l => l.GetProperty("time").GetDateTime()).ToList();
        Assert.Equal(times.OrderDescending(), times); // newest first

        // Plain text is case-insensitive; npm echoes each command line, so the dummy's arguments match too.
        var onB = await SearchAsync(new { query = "HELLO FROM", node = "b" });
        Assert.All(onB, l => Assert.Equal("b", l.GetProperty("node").GetString()));
        Assert.Contains(onB, l => l.GetProperty("text").GetString() == "hello from b");

        var stderr = await SearchAsync(new { query = "^warning: disk", regex = true, stream = "stderr" });
        Assert.Equal("stderr", Assert.Single(stderr).GetProperty("stream").GetString());
        Assert.Empty(await SearchAsync(new { query = "^warning: disk", regex = true, stream = "stdout" }));

        var numbered = await SearchAsync(new { query = @"^line \d$", regex = true, name = "talk", since = "10m" });
        Assert.Equal(5, numbered.Count); // 3 on a, 2 on b
        var newest = Assert.Single(await SearchAsync(new { query = @"^line \d$", regex = true, limit = 1 })); // per node, then merged
        Assert.Equal(numbered[0].GetProperty("text").GetString(), newest.GetProperty("text").GetString());
        Assert.Equal(numbered[0].GetProperty("node").GetString(), newest.GetProperty("node").GetString());
    }

    [Fact]
    public async Task LogsSearch_CatastrophicRegex_AnswersWithinItsTimeLimit_MarkedTruncated()
    {
        await Mcp.CallAsync("scripts_run", new { name = "words", node = "a" });
        await Eventually.UntilAsync(
            () => SearchAsync(new { query = "^word .*!$", regex = true, name = "words" }), // not npm's echo of the command
            lines => lines.Count > 0,
            "the line of words");

        // Nested quantifiers over a line that almost matches: exponential backtracking without the per-line limit.
        var answer = await Mcp.CallAsync("logs_search", new { query = @"^(\w+\s?)+$", regex = true, name = "words" });

        Assert.True(answer.GetProperty("truncated").GetBoolean(), answer.ToString());
        Assert.Empty(answer.GetProperty("lines").EnumerateArray());
        await Mcp.CallAsync("scripts_stop", new { name = "words", node = "a" });
    }

    [Theory]
    [InlineData("""{"query":"(unclosed","regex":true}""", "not a valid regular expression")]
    [InlineData("""{"query":"x","since":"yesterday"}""", "'since' must be an ISO-8601 time")]
    [InlineData("""{"query":"x","stream":"stdin"}""", "'stream' must be stdout or stderr")]
    [InlineData("""{"query":"x","name":"nope"}""", "Unknown script 'nope'")]
    public async Task LogsSearch_BadArguments_AreClearToolErrors(string arguments, string message)
    {
        var error = await Mcp.CallErrorAsync("logs_search", JsonSerializer.Deserialize<Dictionary<string, object?>>(arguments));
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogsTail_LastLines_ThenFollowingWithAfterSeq_GivesOnlyNewLines()
    {
        await Mcp.CallAsync("scripts_run", new { name = "once", node = "b" });
        var first = await Eventually.UntilAsync(
            () => Mcp.CallAsync("logs_tail", new { name = "once", node = "b" }),
            tail => Texts(tail).LastOrDefault() == "run once",
            "the line of 'once' (after npm's own header lines)");
        var lastSeq = first.GetProperty("last_seq").GetInt64();
        Assert.Equal(lastSeq, first.GetProperty("lines").EnumerateArray().Last().GetProperty("seq").GetInt64());

        var nothingNew = await Mcp.CallAsync("logs_tail", new { name = "once", node = "b", after_seq = lastSeq });
        Assert.Equal(0, nothingNew.GetProperty("lines").GetArrayLength());
        Assert.Equal(lastSeq, nothingNew.GetProperty("last_seq").GetInt64());

        await Eventually.UntilAsync(
            async () => (await Mcp.CallAsync("scripts_status", new { name = "once", node = "b" })).GetProperty("processes")[0].GetProperty("status").GetString(),
            status => status == "succeeded",
            "the first run to end (a run while it still runs would start nothing)");
        await Mcp.CallAsync("scripts_run", new { name = "once", node = "b" }); // prints its line again
        var followed = await Eventually.UntilAsync(
            () => Mcp.CallAsync("logs_tail", new { name = "once", node = "b", after_seq = lastSeq }),
            tail => Texts(tail).LastOrDefault() == "run once",
            "the second run's lines");
        Assert.All(followed.GetProperty("lines").EnumerateArray(), l => Assert.True(l.GetProperty("seq").GetInt64() > lastSeq));
        Assert.Single(Texts(followed), t => t == "run once");

        var all = await Eventually.UntilAsync(
            () => Mcp.CallAsync("logs_tail", new { name = "talk", node = "a" }),
            tail => Texts(tail).Contains("line 3") && Texts(tail).Contains("warning: disk almost full"),
            "all of talk's output");
        var lastTwo = await Mcp.CallAsync("logs_tail", new { name = "talk", node = "a", lines = 2 });
        Assert.Equal(Texts(all).TakeLast(2), Texts(lastTwo)); // stdout and stderr are two pipes: their lines interleave as captured
    }

    [Fact]
    public async Task Cli_Logs_PrintsTheOutput_AndFollowPrintsNewLinesAsTheyCome()
    {
        var (exitCode, output) = await BrummerProcess.RunAsync("logs", "talk", "--node", "a", "--gateway", cluster.Gateway);
        Assert.Equal(0, exitCode);
        Assert.Contains("hello from a", output, StringComparison.Ordinal);
        Assert.Contains("warning: disk almost full", output, StringComparison.Ordinal);

        await Mcp.CallAsync("scripts_run", new { name = "greeter", node = "b" });
        await using var follower = BrummerProcess.Start("logs", "greeter", "--node", "b", "-f", "--gateway", cluster.Gateway);
        await follower.WaitForOutputAsync("greetings");
        await Mcp.CallAsync("scripts_restart", new { name = "greeter", node = "b" }); // prints its greeting again
        await Eventually.UntilAsync(
            () => follower.Output.Split('\n').Count(l => l.Trim() == "greetings") == 2,
            "the follower to print the restarted process's greeting");
    }

    [Fact]
    public async Task Cli_Logs_UnknownScript_OneClearLine()
    {
        var (exitCode, output) = await BrummerProcess.RunAsync("logs", "nope", "--node", "a", "--gateway", cluster.Gateway);
        Assert.Equal(1, exitCode);
        Assert.StartsWith("brummer: Unknown script 'nope' on node 'a'.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ErrorsList_NodeCrashOnB_WholeStackTraceOnce_ThenOncePerRunWhenItRecurs()
    {
        await Mcp.CallAsync("scripts_run", new { name = "crash", node = "b" });
        var first = await Eventually.UntilAsync(
            () => Mcp.CallAsync("errors_list", new { name = "crash" }),
            r => r.GetProperty("errors").GetArrayLength() == 1 &&
                 r.GetProperty("errors")[0].GetProperty("block").EnumerateArray().Any(l => l.GetString()!.Contains("Node.js v", StringComparison.Ordinal)),
            "the crash's whole error (listed while still being printed, complete once node printed its version)");
        var error = first.GetProperty("errors")[0];
        Assert.Equal("b", error.GetProperty("node").GetString());
        Assert.Equal("crash", error.GetProperty("name").GetString());
        Assert.Equal("javascript", error.GetProperty("kind").GetString());
        Assert.Equal("Error: database unreachable", error.GetProperty("first_line").GetString());
        var block = error.GetProperty("block").EnumerateArray().Select(l => l.GetString()!).ToList();
        Assert.Contains(block, l => l.TrimStart().StartsWith("at boot", StringComparison.Ordinal));
        Assert.Equal(1, error.GetProperty("count").GetInt32());

        await Eventually.UntilAsync(
            async () => (await Mcp.CallAsync("scripts_status", new { name = "crash", node = "b" })).GetProperty("processes")[0].GetProperty("status").GetString(),
            status => status == "failed",
            "the first crash to end");
        await Mcp.CallAsync("scripts_run", new { name = "crash", node = "b" });
        var everyRun = await Eventually.UntilAsync(
            () => Mcp.CallAsync("errors_list", new { node = "b", all = true }),
            r => r.GetProperty("errors").EnumerateArray().Count(e => e.GetProperty("name").GetString() == "crash") == 2,
            "the same error once per run (all runs asked for)");
        var runs = everyRun.GetProperty("errors").EnumerateArray().Where(e => e.GetProperty("name").GetString() == "crash").ToList();
        Assert.All(runs, e => Assert.Equal(1, e.GetProperty("count").GetInt32()));
        Assert.Equal(runs[0].GetProperty("run").GetInt32() + 1, runs[1].GetProperty("run").GetInt32());
        Assert.Empty(everyRun.GetProperty("unreachable_nodes").EnumerateArray());
        var current = Assert.Single((await Mcp.CallAsync("errors_list", new { node = "b" })).GetProperty("errors").EnumerateArray(), e => e.GetProperty("name").GetString() == "crash");
        Assert.Equal(runs[1].GetProperty("run").GetInt32(), current.GetProperty("run").GetInt32());

        var status = await Eventually.UntilAsync(
            async () => (await Mcp.CallAsync("scripts_status", new { name = "crash", node = "b" })).GetProperty("processes")[0],
            p => p.GetProperty("error_count").GetInt32() == 1 && p.GetProperty("status").GetString() == "failed" &&
                 p.GetProperty("run").GetInt32() == runs[1].GetProperty("run").GetInt32(),
            "scripts_status to count the second crash's error only, once it has ended");

        var (exitCode, output) = await BrummerProcess.RunAsync("errors", "--name", "crash", "--all", "--gateway", cluster.Gateway);
        Assert.Equal(0, exitCode);
        Assert.Contains($"b/crash run {runs[0].GetProperty("run").GetInt32()} — javascript error at", output, StringComparison.Ordinal);
        Assert.Contains($"b/crash run {runs[1].GetProperty("run").GetInt32()} — javascript error at", output, StringComparison.Ordinal);
        Assert.Contains("    Error: database unreachable", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UrlsList_ServerPrintingItsAddress_ListedWithNodeAndScript_ZeroesRewritten()
    {
        await Mcp.CallAsync("scripts_run", new { name = "web", node = "a" });
        var urls = await Eventually.UntilAsync(
            () => Mcp.CallAsync("urls_list"),
            r => r.GetProperty("urls").GetArrayLength() >= 1,
            "the web script's URL");
        var url = Assert.Single(urls.GetProperty("urls").EnumerateArray());
        Assert.Equal("a", url.GetProperty("node").GetString());
        Assert.Equal("web", url.GetProperty("name").GetString());
        Assert.Equal("http://localhost:4000/", url.GetProperty("url").GetString());
        Assert.Empty((await Mcp.CallAsync("urls_list", new { node = "b" })).GetProperty("urls").EnumerateArray());
        var status = await Eventually.UntilAsync(
            async () => (await Mcp.CallAsync("scripts_status", new { name = "web", node = "a" })).GetProperty("processes")[0],
            p => p.GetProperty("urls").GetArrayLength() == 1,
            "scripts_status to carry the URL");
        Assert.Equal("http://localhost:4000/", status.GetProperty("urls")[0].GetString());
    }

    private static List<string?> Texts(JsonElement tail) =>
        [.. tail.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("text").GetString())];

    private async Task<List<JsonElement>> SearchAsync(object arguments) =>
        [.. (await Mcp.CallAsync("logs_search", arguments)).GetProperty("lines").EnumerateArray()];
}
