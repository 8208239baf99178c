using System.Collections.Concurrent;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using Brummer.Tests;

namespace Brummer.Gateway.Tests;

/// <summary>wait_for and scripts_run with wait, through the official MCP client, against real processes on a real node.</summary>
[Collection(ClusterTests.Name)]
public sealed class WaitForToolTests(ClusterFixture cluster)
{
    [Fact]
    public async Task WaitFor_ServiceThatPrintsThenSleeps_IsRunningAndReady()
    {
        var run = await cluster.CallAsync("scripts_run", new { name = "churn00" });

        var running = await cluster.CallAsync("wait_for", new { name = "churn00", condition = "running" });
        var ready = await cluster.CallAsync("wait_for", new { name = "churn00", condition = "ready", node = ClusterFixture.Node, timeout_seconds = 5 });

        var pid = run.GetProperty("process").GetProperty("pid").GetInt32();
        Assert.Equal(pid, running.GetProperty("process").GetProperty("pid").GetInt32());
        Assert.Equal("running", running.GetProperty("condition").GetString());
        Assert.Equal("running", ready.GetProperty("process").GetProperty("status").GetString());
        Assert.Equal("none", ready.GetProperty("process").GetProperty("health").GetString());
        Assert.Equal("ready", ready.GetProperty("condition").GetString());
        Assert.True(ready.GetProperty("waited_ms").GetInt64() >= 0);
        await cluster.CallAsync("scripts_stop", new { name = "churn00" });
    }

    [Fact]
    public async Task WaitFor_TaskThatExitsZero_AnswersWhenItHasSucceeded()
    {
        await cluster.CallAsync("scripts_run", new { name = "ok" });

        var succeeded = await cluster.CallAsync("wait_for", new { name = "ok", condition = "succeeded" });
        var exited = await cluster.CallAsync("wait_for", new { name = "ok", condition = "exited", timeout_seconds = 0 });

        Assert.Equal("succeeded", succeeded.GetProperty("process").GetProperty("status").GetString());
        Assert.Equal(0, succeeded.GetProperty("process").GetProperty("exit_code").GetInt32());
        Assert.Equal("built", succeeded.GetProperty("process").GetProperty("last_line").GetString());
        Assert.Equal("succeeded", exited.GetProperty("process").GetProperty("status").GetString());
        Assert.Equal(0, exited.GetProperty("waited_ms").GetInt64());
    }

    [Fact]
    public async Task WaitFor_TaskThatExitsNonZero_IsFailed_AndWaitingForReadyAnswersAtOnceWithWhy()
    {
        await cluster.CallAsync("scripts_run", new { name = "bad" });

        var failed = await cluster.CallAsync("wait_for", new { name = "bad", condition = "failed" });
        var started = DateTime.UtcNow;
        var ready = await cluster.CallErrorAsync("wait_for", new { name = "bad", condition = "ready", timeout_seconds = 600 });

        Assert.Equal(3, failed.GetProperty("process").GetProperty("exit_code").GetInt32());
        Assert.Equal($"'bad' on node '{ClusterFixture.Node}' failed (exit code 3), last line: Error: boom; it will not be ready unless it is run again.", ready);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(60), "answered without waiting out the timeout");
    }

    [Fact]
    public async Task WaitFor_Timeout_IsAToolErrorWithTheCurrentStatus()
    {
        await cluster.CallAsync("scripts_run", new { name = "churn01" });

        var error = await cluster.CallErrorAsync("wait_for", new { name = "churn01", condition = "exited", timeout_seconds = 1 });

        Assert.StartsWith($"'churn01' on node '{ClusterFixture.Node}' has not exited after 1 s: status running, health none", error, StringComparison.Ordinal);
        await cluster.CallAsync("scripts_stop", new { name = "churn01" });
        var exited = await cluster.CallAsync("wait_for", new { name = "churn01", condition = "exited", timeout_seconds = 0 });
        Assert.Equal("stopped", exited.GetProperty("process").GetProperty("status").GetString());
    }

    [Fact]
    public async Task WaitFor_WithAProgressToken_SaysHowItStandsWhileItWaits()
    {
        await cluster.CallAsync("scripts_run", new { name = "churn04" });
        var notes = new ConcurrentQueue<ProgressNotificationValue>();

        var waiting = cluster.Mcp.CallToolAsync(
            "wait_for",
            new Dictionary<string, object?> { ["name"] = "churn04", ["condition"] = "exited", ["timeout_seconds"] = 120 },
            new Progress(notes.Enqueue),
            cancellationToken: TestContext.Current.CancellationToken).AsTask();
        await Eventually.UntilAsync(() => !notes.IsEmpty, "the wait's first progress note");
        await cluster.CallAsync("scripts_stop", new { name = "churn04" });
        var exited = McpCalls.Structured(await waiting);

        Assert.Equal("stopped", exited.GetProperty("process").GetProperty("status").GetString());
        var first = notes.First();
        Assert.StartsWith($"'churn04' on node '{ClusterFixture.Node}' has not exited yet: status running, health none", first.Message, StringComparison.Ordinal);
        Assert.Equal(120, first.Total);
        Assert.InRange(first.Progress, 0, 120);
    }

    /// <summary>Reports on the calling thread (System.Progress would post to the thread pool, after the answer).</summary>
    private sealed class Progress(Action<ProgressNotificationValue> report) : IProgress<ProgressNotificationValue>
    {
        public void Report(ProgressNotificationValue value) => report(value);
    }

    [Theory]
    [InlineData("""{"name":"web","condition":"healthy"}""", "'condition' must be running, ready, exited, succeeded or failed; got 'healthy'.")]
    [InlineData("""{"name":"web","condition":"ready","timeout_seconds":601}""", "'timeout_seconds' must be between 0 and 600 seconds (default 30); got 601. To wait longer, wait again.")]
    [InlineData("""{"name":"web","condition":"ready","timeout_seconds":1.5}""", "'timeout_seconds' of wait_for must be a whole number")]
    [InlineData("""{"name":"web"}""", "Missing required argument 'condition'")]
    [InlineData("""{"name":"deploy","condition":"ready"}""", "Unknown script 'deploy'")]
    [InlineData("""{"name":"web","condition":"ready","node":"laptop"}""", "Unknown node 'laptop'. Nodes: node-a.")]
    public async Task WaitFor_BadArguments_AreClearToolErrors(string arguments, string message)
    {
        var error = await cluster.CallErrorAsync("wait_for", JsonSerializer.Deserialize<Dictionary<string, object?>>(arguments));

        Assert.StartsWith(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScriptsRun_WaitReady_StartsAndAnswersOnceItServes()
    {
        var run = await cluster.CallAsync("scripts_run", new { name = "churn02", wait = "ready", timeout_seconds = 30 });

        var process = run.GetProperty("process");
        Assert.Equal("running", process.GetProperty("status").GetString());
        Assert.Equal("none", process.GetProperty("health").GetString());
        Assert.True(OsProcesses.IsAlive(process.GetProperty("pid").GetInt32()));
        Assert.False(run.GetProperty("already_running").GetBoolean());
        var again = await cluster.CallAsync("scripts_run", new { name = "churn02", wait = "running" });
        Assert.True(again.GetProperty("already_running").GetBoolean());
        await cluster.CallAsync("scripts_stop", new { name = "churn02" });
    }

    [Theory]
    [InlineData("""{"name":"churn03","wait":"exited"}""", "'wait' must be ready or running")]
    [InlineData("""{"name":"churn03","timeout_seconds":5}""", "'timeout_seconds' applies only with 'wait'")]
    [InlineData("""{"name":"churn03","wait":"ready","timeout_seconds":9999}""", "'timeout_seconds' must be between 0 and 600")]
    public async Task ScriptsRun_BadWaitArguments_AreRefusedBeforeAnythingStarts(string arguments, string message)
    {
        var error = await cluster.CallErrorAsync("scripts_run", JsonSerializer.Deserialize<Dictionary<string, object?>>(arguments));

        Assert.StartsWith(message, error, StringComparison.Ordinal);
        var status = await cluster.CallAsync("scripts_status", new { name = "churn03" });
        Assert.DoesNotContain(status.GetProperty("processes").EnumerateArray(), p => p.GetProperty("status").GetString() == "running");
    }
}
