using System.Diagnostics;
using Brummer.Tests;
using ModelContextProtocol.Client;

namespace Brummer.Cli.Tests;

/// <summary>
/// One sick machine next to a healthy one, as real OS processes joined through Redis: a node paused with SIGSTOP
/// (a laptop lid closed, a VM frozen, a process swapping) must not slow calls for the other node, and a request that
/// timed out on it must never take effect when it wakes up; a node stopped on purpose reads 'left', not 'lost'.
/// </summary>
public sealed class SickNodeTests(ITestOutputHelper output)
{
    private const int HealthyScripts = 8;

    [Fact]
    public async Task Redis_NodePaused_CallsForTheOtherNodeAnswer_AndARequestThatTimedOutNeverTakesEffect()
    {
        var redis = ProcessCluster.RequireStore("BRUMMER_TEST_REDIS");
        using var stackA = new StackDirectory(new Dictionary<string, string> { ["x"] = Dummy.Command("say:x up", "sleep") });
        var scriptsB = Enumerable.Range(0, HealthyScripts).ToDictionary(i => $"s{i}", i => Dummy.Command($"say:s{i} up", "sleep"));
        scriptsB["noisy"] = Dummy.Command("print:50", "sleep");
        using var stackB = new StackDirectory(scriptsB);
        await using var cluster = new ProcessCluster(ProcessCluster.RedisUrl(redis));
        // Slow failure detection: a stays a member while paused, which is the case where it could hold others up.
        var a = await cluster.StartNodeAsync("a", stackA.Path, 0, 0, "--failure-detection", "120");
        await cluster.StartNodeAsync("b", stackB.Path, 0, 0, "--failure-detection", "120");
        var mcp = await cluster.StartGatewayAsync(null, "--control-timeout", "8");
        await cluster.Gateway!.WaitForOutputAsync("Connected to node a directly");
        await cluster.Gateway!.WaitForOutputAsync("Connected to node b directly");
        await mcp.CallAsync("scripts_run", new { name = "noisy", node = "b" });
        await Eventually.UntilAsync(
            async () => (await mcp.CallAsync("logs_search", new { query = "line 50", node = "b" })).GetProperty("lines").GetArrayLength(),
            n => n == 1,
            "b's output to be searchable");

        a.Pause(true);
        string timedOut;
        try
        {
            // Sent before the gateway can know a is sick (it was heard from moments ago): the node cannot act in time.
            timedOut = await mcp.CallErrorAsync("scripts_run", new { name = "x", node = "a" });
            output.WriteLine($"run a/x while a is paused: {timedOut}");
            Assert.True(
                timedOut.Contains("did not answer within", StringComparison.Ordinal) || timedOut.Contains("is unresponsive", StringComparison.Ordinal),
                timedOut);

            // Every call for b answers, each on its own grain (so no routing luck can explain it), whatever a does.
            for (var i = 0; i < HealthyScripts; i++)
            {
                var watch = Stopwatch.StartNew();
                var run = await mcp.CallAsync("scripts_run", new { name = $"s{i}", node = "b" });
                Assert.Equal("running", run.GetProperty("process").GetProperty("status").GetString());
                output.WriteLine($"run b/s{i} while a is paused: {watch.ElapsedMilliseconds} ms");
            }

            // A cluster-wide search answers with b's lines, and names a instead of waiting for it.
            var search = await mcp.CallAsync("logs_search", new { query = "line 50" });
            Assert.Equal("b", search.GetProperty("lines")[0].GetProperty("node").GetString());
            Assert.Equal(["a"], search.GetProperty("unreachable_nodes").EnumerateArray().Select(e => e.GetString()));

            // Three missed heartbeats: a reads unresponsive, and requests for it are refused at once.
            await NodesAsync(mcp, n => n.GetValueOrDefault("a") == "unresponsive" && n.GetValueOrDefault("b") == "up", "a unresponsive, b up");
            var unresponsive = await mcp.CallErrorAsync("scripts_run", new { name = "x", node = "a" });
            Assert.Contains("Node 'a' is unresponsive", unresponsive, StringComparison.Ordinal);
        }
        finally
        {
            a.Pause(false);
        }

        await NodesAsync(mcp, n => n.GetValueOrDefault("a") == "up", "a up again");

        // The request that timed out reached a when it woke, after its deadline: refused there. A fresh run is the
        // one that starts x (had the old one acted, x would already be running).
        var rerun = await mcp.CallAsync("scripts_run", new { name = "x", node = "a" });
        Assert.False(rerun.GetProperty("already_running").GetBoolean(), $"x was already running: the request answered '{timedOut}' took effect later");
        Assert.Equal(0, rerun.GetProperty("process").GetProperty("restarts").GetInt32());
    }

    [Fact]
    public async Task Redis_NodeStoppedOnPurpose_ReadsLeft_WithItsProcessesAsTheyEnded()
    {
        var redis = ProcessCluster.RequireStore("BRUMMER_TEST_REDIS");
        using var stack = new StackDirectory(new Dictionary<string, string> { ["server"] = Dummy.Command("say:up", "sleep") });
        await using var cluster = new ProcessCluster(ProcessCluster.RedisUrl(redis));
        await cluster.StartNodeAsync("a", stack.Path, 0, 0);
        var b = await cluster.StartNodeAsync("b", stack.Path, 0, 0);
        var mcp = await cluster.StartGatewayAsync();
        await NodesAsync(mcp, n => n.GetValueOrDefault("a") == "up" && n.GetValueOrDefault("b") == "up", "both nodes up");
        await mcp.CallAsync("scripts_run", new { name = "server", node = "b" });

        Assert.Equal(0, await b.TerminateAsync());

        await NodesAsync(mcp, n => n.GetValueOrDefault("b") == "left", "b left");
        var server = (await mcp.CallAsync("scripts_status", new { node = "b" })).GetProperty("processes").EnumerateArray().Single();
        Assert.Equal("stopped", server.GetProperty("status").GetString());
        var error = await mcp.CallErrorAsync("scripts_run", new { name = "server", node = "b" });
        Assert.Contains("Node 'b' left the cluster", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redis_EveryNodeGone_ReloadSaysSo_InsteadOfAnsweringNothing()
    {
        var redis = ProcessCluster.RequireStore("BRUMMER_TEST_REDIS");
        using var stack = new StackDirectory(new Dictionary<string, string> { ["server"] = Dummy.Command("sleep") });
        await using var cluster = new ProcessCluster(ProcessCluster.RedisUrl(redis));
        var a = await cluster.StartNodeAsync("a", stack.Path, 0, 0);
        var mcp = await cluster.StartGatewayAsync();
        await NodesAsync(mcp, n => n.GetValueOrDefault("a") == "up", "a up");

        Assert.Equal(0, await a.TerminateAsync());
        await NodesAsync(mcp, n => n.GetValueOrDefault("a") == "left", "a left");
        var error = await mcp.CallErrorAsync("stack_reload", new { });

        Assert.Contains("No node can be reloaded now: a is left.", error, StringComparison.Ordinal);
    }

    private static Task<Dictionary<string, string>> NodesAsync(McpClient mcp, Func<Dictionary<string, string>, bool> done, string what) =>
        Eventually.UntilAsync(
            async () => (await mcp.CallAsync("nodes_list")).GetProperty("nodes").EnumerateArray()
                .ToDictionary(n => n.GetProperty("name").GetString()!, n => n.GetProperty("status").GetString()!),
            done,
            what,
            TimeSpan.FromSeconds(60));
}
