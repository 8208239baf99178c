using System.Diagnostics;
using System.Text.Json;
using Brummer.Silo;
using Brummer.Tests;
using ModelContextProtocol.Client;

namespace Brummer.Cli.Tests;

/// <summary>
/// Three OS processes on loopback — node a, node b and a standalone gateway — as three machines would run them,
/// joined through real membership (Redis, PostgreSQL) and driven by an agent through the official MCP client.
/// </summary>
public sealed class ClusterProcessTests(ITestOutputHelper output)
{
    private static readonly TimeSpan LossDeadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Redis_AgentRunsAndStopsOnBothNodes_NodeBKilled_LostAndNothingOfItSurvives_ThenRejoinsFresh()
    {
        var redis = ProcessCluster.RequireStore("BRUMMER_TEST_REDIS");
        using var stackA = new StackDirectory(new Dictionary<string, string> { ["server"] = Dummy.Command("say:a ready", "sleep") });
        using var stackB = new StackDirectory(new Dictionary<string, string>());
        File.WriteAllText(Path.Combine(stackB.Path, "package.json"), JsonSerializer.Serialize(new
        {
            name = "b",
            scripts = new Dictionary<string, string>
            {
                ["server"] = Dummy.Command("say:b ready", "sleep"),
                // A tree that ignores SIGTERM: only the watchdog's SIGKILL ends it once node b is gone.
                ["tree"] = Dummy.Command($"child:{stackB.File("grandchild.pid")}", "ignore-sigterm", "sleep"),
            },
        }));
        await using var cluster = new ProcessCluster(ProcessCluster.RedisUrl(redis));
        var (bSilo, bGateway) = (FreePort.Next(), FreePort.Next());
        await cluster.StartNodeAsync("a", stackA.Path, 0, 0);
        var nodeB = await cluster.StartNodeAsync("b", stackB.Path, bSilo, bGateway);
        var mcp = await cluster.StartGatewayAsync();
        await NodesAsync(mcp, n => n.GetValueOrDefault("a") == "up" && n.GetValueOrDefault("b") == "up", "both nodes up");

        // Run and stop on both nodes through the one endpoint.
        foreach (var (node, script) in new[] { ("a", "server"), ("b", "server"), ("b", "tree") })
        {
            var run = await mcp.CallAsync("scripts_run", new { name = script, node });
            Assert.Equal("running", run.GetProperty("process").GetProperty("status").GetString());
        }

        var stopped = await mcp.CallAsync("scripts_stop", new { name = "server", node = "a" });
        Assert.Equal("stopped", stopped.GetProperty("process").GetProperty("status").GetString());
        var status = await StatusAsync(mcp, s => s.GetValueOrDefault("b/server") == "running" && s.GetValueOrDefault("b/tree") == "running" && s.GetValueOrDefault("a/server") == "stopped", "a/server stopped, b's two running");
        var bGroups = await PidsOfNodeAsync(mcp, "b");
        var grandchild = Dummy.ReadPid(await Eventually.FileAsync(stackB.File("grandchild.pid")));
        Assert.Equal(2, bGroups.Count);

        // Node b crashes: nothing it started may survive it for long.
        var killedAt = Stopwatch.StartNew();
        await nodeB.KillHardAsync();
        await Eventually.UntilAsync(
            () => bGroups.All(g => OsProcesses.GroupMembers(g).Count == 0) && !OsProcesses.IsAlive(grandchild),
            "every process of node b to be gone",
            TimeSpan.FromSeconds(5));
        output.WriteLine($"node b's processes survived it by at most {killedAt.ElapsedMilliseconds} ms");

        // The gateway reports b and its processes lost, keeping their last known fields, and keeps serving a.
        await NodesAsync(mcp, n => n.GetValueOrDefault("b") == "lost" && n.GetValueOrDefault("a") == "up", "b lost, a up", LossDeadline);
        output.WriteLine($"gateway reported node b lost {killedAt.ElapsedMilliseconds} ms after the kill (failure detection {ProcessCluster.FailureDetectionSeconds} s)");
        var lost = (await mcp.CallAsync("scripts_status", new { node = "b" })).GetProperty("processes").EnumerateArray().ToList();
        Assert.Equal(2, lost.Count);
        Assert.All(lost, p =>
        {
            Assert.Equal("lost", p.GetProperty("status").GetString());
            Assert.Contains("last known status: running", p.GetProperty("reason").GetString(), StringComparison.Ordinal);
            Assert.Contains(p.GetProperty("pid").GetInt32(), bGroups);
        });
        var error = await mcp.CallErrorAsync("scripts_run", new { name = "server", node = "b" });
        Assert.Contains("Node 'b' is lost", error, StringComparison.Ordinal);
        var again = await mcp.CallAsync("scripts_run", new { name = "server", node = "a" });
        Assert.Equal("running", again.GetProperty("process").GetProperty("status").GetString());

        // b comes back on the same ports: its fresh state replaces the lost view.
        await cluster.StartNodeAsync("b", stackB.Path, bSilo, bGateway);
        await NodesAsync(mcp, n => n.GetValueOrDefault("b") == "up", "b back up", LossDeadline);
        status = await StatusAsync(mcp, s => !s.Keys.Any(k => k.StartsWith("b/", StringComparison.Ordinal)), "b's lost processes replaced by its fresh (empty) state");
        var rerun = await mcp.CallAsync("scripts_run", new { name = "server", node = "b" });
        Assert.Equal("running", rerun.GetProperty("process").GetProperty("status").GetString());
        await StatusAsync(mcp, s => s.GetValueOrDefault("b/server") == "running" && s.GetValueOrDefault("a/server") == "running", "both servers running");
    }

    [Fact]
    public async Task Postgres_NodesJoinThroughTheDatabase_GatewayRunsAndReportsOnBoth()
    {
        var postgres = ProcessCluster.RequireStore("BRUMMER_TEST_POSTGRES");
        using var stack = new StackDirectory(new Dictionary<string, string> { ["server"] = Dummy.Command("say:ready", "sleep") });
        await using var cluster = new ProcessCluster(postgres);
        await cluster.StartNodeAsync("a", stack.Path, 0, 0);
        await cluster.StartNodeAsync("b", stack.Path, 0, 0);
        var mcp = await cluster.StartGatewayAsync();
        await NodesAsync(mcp, n => n.GetValueOrDefault("a") == "up" && n.GetValueOrDefault("b") == "up", "both nodes up");

        foreach (var node in new[] { "a", "b" })
        {
            await mcp.CallAsync("scripts_run", new { name = "server", node });
        }

        await StatusAsync(mcp, s => s.GetValueOrDefault("a/server") == "running" && s.GetValueOrDefault("b/server") == "running", "server running on a and b");
        var stopped = await mcp.CallAsync("scripts_stop", new { name = "server", node = "b" });
        Assert.Equal("stopped", stopped.GetProperty("process").GetProperty("status").GetString());
        await StatusAsync(mcp, s => s.GetValueOrDefault("a/server") == "running" && s.GetValueOrDefault("b/server") == "stopped", "b/server stopped, a/server running");
    }

    [Fact]
    public async Task Dev_PrimaryAndSecondNodeJoinWithoutAnyStore_GatewayServesBoth()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["server"] = Dummy.Command("say:ready", "sleep") });
        var (primarySilo, primaryGateway) = (FreePort.Next(), FreePort.Next());
        await using var cluster = new ProcessCluster($"dev://127.0.0.1:{primarySilo}?gateway={primaryGateway}");
        await cluster.StartNodeAsync("a", stack.Path, primarySilo, primaryGateway); // the primary holds the membership
        await cluster.StartNodeAsync("b", stack.Path, 0, 0);
        var mcp = await cluster.StartGatewayAsync();
        await NodesAsync(mcp, n => n.GetValueOrDefault("a") == "up" && n.GetValueOrDefault("b") == "up", "both nodes up");

        var run = await mcp.CallAsync("scripts_run", new { name = "server", node = "b" });
        Assert.Equal("b", run.GetProperty("process").GetProperty("node").GetString());
        await StatusAsync(mcp, s => s.GetValueOrDefault("b/server") == "running", "b/server running");

        // Each node's changes come over a push connection of its own, to the port it published.
        await cluster.Gateway!.WaitForOutputAsync("Node a pushes its changes over a connection of its own at 127.0.0.1:");
        await cluster.Gateway!.WaitForOutputAsync("Node b pushes its changes over a connection of its own at 127.0.0.1:");
        // And a dashboard sees it: both nodes on the dedicated path.
        using var http = new HttpClient { BaseAddress = cluster.GatewayUrl };
        var metrics = await http.GetStringAsync(new Uri("metrics", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Matches(@"(?m)^brummer_gateway_push_connections(\{[^}]*\})? 2$", metrics);
    }

    [Fact]
    public async Task Dev_OnlyNodeKilled_NoSiloLeftToDeclareIt_GatewayReportsItLostAfterTheSilenceLimit()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["server"] = Dummy.Command("say:ready", "sleep") });
        var (silo, gateway) = (FreePort.Next(), FreePort.Next());
        await using var cluster = new ProcessCluster($"dev://127.0.0.1:{silo}?gateway={gateway}");
        var node = await cluster.StartNodeAsync("solo", stack.Path, silo, gateway);
        var mcp = await cluster.StartGatewayAsync(new Dictionary<string, string> { ["Brummer__Gateway__SilenceLimit"] = "00:00:03" });
        await NodesAsync(mcp, n => n.GetValueOrDefault("solo") == "up", "the node up");
        await mcp.CallAsync("scripts_run", new { name = "server", node = "solo" });

        await node.KillHardAsync();

        await NodesAsync(mcp, n => n.GetValueOrDefault("solo") == "lost", "the silent node reported lost", LossDeadline);
        var process = (await mcp.CallAsync("scripts_status")).GetProperty("processes").EnumerateArray().Single();
        Assert.Equal("lost", process.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Node_UnreachableRedis_FailsAtOnceWithOneClearLine()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["x"] = "true" });
        var (exitCode, text) = await BrummerProcess.RunAsync("node", "--name", "a", "--dir", stack.Path, "--cluster", $"redis://127.0.0.1:{FreePort.Next()}");
        Assert.Equal(2, exitCode);
        Assert.StartsWith("brummer: Redis at redis://127.0.0.1:", text, StringComparison.Ordinal);
        Assert.Contains("cannot be reached", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mysql://h:1/db", "the scheme 'mysql' is not supported")]
    [InlineData("postgres://u:secret@h:5432", "names no database")]
    [InlineData("redis://h:6379/x", "is not a Redis database number")]
    public async Task Gateway_BadClusterValue_UsageErrorSaysWhatIsAccepted_AndNeverEchoesThePassword(string value, string why)
    {
        var (exitCode, text) = await BrummerProcess.RunAsync("gateway", "--cluster", value);
        Assert.NotEqual(0, exitCode);
        Assert.Contains(why, text, StringComparison.Ordinal);
        Assert.Contains("redis://host:port", text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", text, StringComparison.Ordinal);
    }

    private static async Task<Dictionary<string, string>> NodesAsync(McpClient mcp, Func<Dictionary<string, string>, bool> done, string what, TimeSpan? timeout = null) =>
        await Eventually.UntilAsync(
            async () => (await mcp.CallAsync("nodes_list")).GetProperty("nodes").EnumerateArray()
                .ToDictionary(n => n.GetProperty("name").GetString()!, n => n.GetProperty("status").GetString()!),
            done,
            what,
            timeout);

    private static async Task<Dictionary<string, string>> StatusAsync(McpClient mcp, Func<Dictionary<string, string>, bool> done, string what) =>
        await Eventually.UntilAsync(
            async () => (await mcp.CallAsync("scripts_status")).GetProperty("processes").EnumerateArray()
                .ToDictionary(p => $"{p.GetProperty("node").GetString()}/{p.GetProperty("name").GetString()}", p => p.GetProperty("status").GetString()!),
            done,
            what);

    private static async Task<List<int>> PidsOfNodeAsync(McpClient mcp, string node) =>
        [.. (await mcp.CallAsync("scripts_status", new { node })).GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("pid").GetInt32())];
}
