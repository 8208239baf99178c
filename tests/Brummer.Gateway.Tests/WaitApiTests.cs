using System.Net;
using System.Text.Json;
using Brummer.Gateway.Security;
using Brummer.Gateway.Waiting;
using Brummer.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace Brummer.Gateway.Tests;

/// <summary>A gateway with tokens and scripts of its own for waits: <c>fresh</c> never runs unless a test runs it.</summary>
public sealed class WaitGatewayFixture : IAsyncLifetime
{
    public GatewayUnderTest Gateway { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Gateway = await GatewayUnderTest.StartAsync(
        withTokens: true,
        moreScripts: new Dictionary<string, string>
        {
            ["server"] = Dummy.Command("say:server listening", "sleep"),
            ["fresh"] = Dummy.Command("sleep"),
            ["crash"] = Dummy.Command("err:Error: cannot connect to db", "exit:1"),
        });

    public ValueTask DisposeAsync() => Gateway.DisposeAsync();
}

/// <summary>Waiting over the JSON API and MCP with tokens: a read that lives in its own lane and ends with its caller.</summary>
public sealed class WaitApiTests(WaitGatewayFixture fixture) : IClassFixture<WaitGatewayFixture>
{
    /// <summary>The reads lane's permits (Traffic/RequestLanes.cs).</summary>
    private static readonly int ReadPermits = Math.Max(4, Environment.ProcessorCount * 2);

    private GatewayUnderTest Gateway => fixture.Gateway;

    private string Read => Gateway.Tokens[GatewayRole.Read];

    private string Operate => Gateway.Tokens[GatewayRole.Operate];

    private WaitService Waits => Gateway.Services.GetRequiredService<WaitService>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, string token)
    {
        using var response = await Gateway.SendAsync(Gateway.Request(method, path, token));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone());
    }

    [Fact]
    public async Task Api_Wait_ReadTokenWaitsForATaskToSucceed()
    {
        var run = await SendAsync(HttpMethod.Post, "/api/processes/quick/run", Operate);
        Assert.Equal(HttpStatusCode.OK, run.Status);

        var succeeded = await SendAsync(HttpMethod.Get, $"/api/processes/{GatewayUnderTest.Node}/quick/wait?for=succeeded&timeout=60", Read);
        var exited = await SendAsync(HttpMethod.Get, "/api/processes/quick/wait?for=exited", Read);

        Assert.Equal(HttpStatusCode.OK, succeeded.Status);
        Assert.Equal("succeeded", succeeded.Body.GetProperty("process").GetProperty("status").GetString());
        Assert.Equal("quick done", succeeded.Body.GetProperty("process").GetProperty("last_line").GetString());
        Assert.Equal("succeeded", succeeded.Body.GetProperty("condition").GetString());
        Assert.Equal(HttpStatusCode.OK, exited.Status);
        Assert.Equal("exited", exited.Body.GetProperty("condition").GetString());
    }

    [Fact]
    public async Task Api_RunWithWait_IsAnOperateAction_AndAnswersOnceReady()
    {
        var refused = await SendAsync(HttpMethod.Post, "/api/processes/server/run?wait=ready", Read);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);

        var run = await SendAsync(HttpMethod.Post, "/api/processes/server/run?wait=ready&timeout=30", Operate);

        Assert.Equal(HttpStatusCode.OK, run.Status);
        Assert.Equal("running", run.Body.GetProperty("process").GetProperty("status").GetString());
        Assert.Equal("none", run.Body.GetProperty("process").GetProperty("health").GetString());
        Assert.True(OsProcesses.IsAlive(run.Body.GetProperty("process").GetProperty("pid").GetInt32()));
        var stop = await SendAsync(HttpMethod.Post, "/api/processes/server/stop", Operate);
        Assert.Equal(HttpStatusCode.OK, stop.Status);
    }

    [Fact]
    public async Task Api_Wait_Timeout_Is504SayingItHasNotRun()
    {
        var timeout = await SendAsync(HttpMethod.Get, "/api/processes/fresh/wait?for=running&timeout=1", Read);

        Assert.Equal(HttpStatusCode.GatewayTimeout, timeout.Status);
        Assert.Equal($"'fresh' on node '{GatewayUnderTest.Node}' is not running after 1 s: it has not run yet.", timeout.Body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Api_Wait_ProcessFailed_Is409SayingWhy()
    {
        var run = await SendAsync(HttpMethod.Post, "/api/processes/crash/run", Operate);
        var failed = await SendAsync(HttpMethod.Get, "/api/processes/crash/wait?for=failed", Read);
        var ready = await SendAsync(HttpMethod.Get, "/api/processes/crash/wait?for=ready&timeout=600", Read);

        Assert.Equal(HttpStatusCode.OK, run.Status);
        Assert.Equal(HttpStatusCode.OK, failed.Status);
        Assert.Equal(1, failed.Body.GetProperty("process").GetProperty("exit_code").GetInt32());
        Assert.Equal(HttpStatusCode.Conflict, ready.Status);
        Assert.Equal($"'crash' on node '{GatewayUnderTest.Node}' failed (exit code 1), last line: Error: cannot connect to db; it will not be ready unless it is run again.", ready.Body.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("GET", "/api/processes/fresh/wait", "'for' is required: running, ready, exited, succeeded or failed.")]
    [InlineData("GET", "/api/processes/fresh/wait?for=up", "'for' must be running, ready, exited, succeeded or failed; got 'up'.")]
    [InlineData("GET", "/api/processes/fresh/wait?for=ready&timeout=soon", "'timeout' must be a whole number; got 'soon'.")]
    [InlineData("GET", "/api/processes/fresh/wait?for=ready&timeout=601", "'timeout' must be between 0 and 600 seconds (default 30); got 601. To wait longer, wait again.")]
    [InlineData("POST", "/api/processes/fresh/stop?wait=ready", "'wait' and 'timeout' apply to run and restart only; stop answers once the process is gone.")]
    [InlineData("POST", "/api/processes/fresh/run?timeout=5", "'timeout' applies only with 'wait' (ready or running): it bounds the wait after the start.")]
    [InlineData("POST", "/api/processes/fresh/run?wait=succeeded", "'wait' must be ready or running")]
    public async Task Api_BadWaitArguments_Are400AndStartNothing(string method, string path, string detail)
    {
        var (status, body) = await SendAsync(new HttpMethod(method), path, Operate);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith(detail, body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var fresh = await SendAsync(HttpMethod.Get, "/api/processes?name=fresh", Read);
        Assert.Empty(fresh.Body.GetProperty("processes").EnumerateArray());
    }

    [Fact]
    public async Task Api_ManyWaits_HoldNoReadPermit_AndEndWhenTheirCallersGoAway()
    {
        var count = (ReadPermits * 2) + 4;
        using var callers = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var waits = Enumerable.Range(0, count)
            .Select(_ => Gateway.Http.SendAsync(Gateway.Request(HttpMethod.Get, "/api/processes/fresh/wait?for=running&timeout=300", Read), callers.Token))
            .ToList();
        await Eventually.UntilAsync(() => Waits.Waiting == count, $"{count} waits to be parked at the gateway");

        // More waits are parked than the reads lane has permits: a status read still answers, while every wait goes on.
        var status = await SendAsync(HttpMethod.Get, "/api/processes", Read);
        var nodes = await SendAsync(HttpMethod.Get, "/api/nodes", Read);

        Assert.Equal(HttpStatusCode.OK, status.Status);
        Assert.Equal(HttpStatusCode.OK, nodes.Status);
        Assert.Equal(count, Waits.Waiting);
        Assert.All(waits, w => Assert.False(w.IsCompleted));

        await callers.CancelAsync();
        await Eventually.UntilAsync(() => Waits.Waiting == 0, "the gateway to end the waits of callers that went away");
        foreach (var wait in waits)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        }
    }

    [Fact]
    public async Task Mcp_WaitFor_ReadTokenMayWait_AndACancelledCallEndsTheWait()
    {
        await using var mcp = await McpCalls.ConnectAsync(new Uri(Gateway.BaseUrl, "/mcp"), Read);
        var tools = await mcp.ListToolsAsync(cancellationToken: Ct);
        Assert.Contains(tools, t => t.Name == "wait_for");
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var waiting = mcp.CallToolAsync(
            "wait_for",
            new Dictionary<string, object?> { ["name"] = "fresh", ["condition"] = "running", ["timeout_seconds"] = 300 },
            cancellationToken: caller.Token).AsTask();
        await Eventually.UntilAsync(() => Waits.Waiting == 1, "the MCP wait to be parked");
        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await Eventually.UntilAsync(() => Waits.Waiting == 0, "the gateway to end the wait of a call the client cancelled");
    }
}
