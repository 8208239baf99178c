using System.Net;
using System.Text.Json;
using Brummer.Gateway.Security;
using Brummer.Tests;

namespace Brummer.Gateway.Tests;

/// <summary>
/// A gateway with tokens and a <c>build</c> script that fails with two TypeScript errors until a file named
/// <c>fixed</c> exists in the stack, then succeeds: a developer fixing the code and building again.
/// </summary>
public sealed class RunRecordsFixture : IAsyncLifetime
{
    public const string FixedBuild = "build ok";

    public GatewayUnderTest Gateway { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Gateway = await GatewayUnderTest.StartAsync(
        withTokens: true,
        moreScripts: new Dictionary<string, string>
        {
            ["build"] = "if [ -f fixed ]; then echo '" + FixedBuild + "'; else " +
                "echo \"src/app.ts(7,7): error TS2322: Type 'string' is not assignable to type 'number'.\"; " +
                "echo \"src/app.ts(9,1): error TS2554: Expected 2 arguments, but got 1.\"; exit 1; fi",
            ["worker"] = Dummy.Command("say:worker up", "sleep"),
            ["sleeper"] = Dummy.Command("say:sleeper up", "sleep"),
        });

    public ValueTask DisposeAsync() => Gateway.DisposeAsync();
}

/// <summary>What each run of a process left behind: its errors, its place in the history, and who did what.</summary>
public sealed class RunRecordsTests(RunRecordsFixture fixture) : IClassFixture<RunRecordsFixture>
{
    private GatewayUnderTest Gateway => fixture.Gateway;

    private string Read => Gateway.Tokens[GatewayRole.Read];

    private string Operate => Gateway.Tokens[GatewayRole.Operate];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<JsonElement> OkAsync(HttpMethod method, string path, string token)
    {
        using var response = await Gateway.SendAsync(Gateway.Request(method, path, token));
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private async Task<JsonElement> BuildStatusAsync() =>
        (await OkAsync(HttpMethod.Get, "/api/processes?name=build", Read)).GetProperty("processes")[0];

    private static string[] Titles(JsonElement errors) =>
        [.. errors.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("first_line").GetString()!)];

    [Fact]
    public async Task Errors_AfterAFixAndARerun_AreTheNewRunsOnlyAndEarlierRunsStayAskable()
    {
        var node = GatewayUnderTest.Node;
        await OkAsync(HttpMethod.Post, $"/api/processes/{node}/build/run", Operate);
        await OkAsync(HttpMethod.Get, $"/api/processes/{node}/build/wait?for=failed&timeout=60", Read);
        var failed = await BuildStatusAsync();
        var failedRun = failed.GetProperty("run").GetInt32();
        Assert.Equal(2, failed.GetProperty("error_count").GetInt32());
        var firstErrors = await OkAsync(HttpMethod.Get, "/api/errors?name=build", Read);
        Assert.Equal(2, Titles(firstErrors).Length);
        Assert.All(firstErrors.GetProperty("errors").EnumerateArray(), e => Assert.Equal(failedRun, e.GetProperty("run").GetInt32()));

        // The developer fixes the code and builds again.
        Gateway.Stack.Write("fixed", "yes");
        await OkAsync(HttpMethod.Post, $"/api/processes/{node}/build/restart", Operate);
        await OkAsync(HttpMethod.Get, $"/api/processes/{node}/build/wait?for=succeeded&timeout=60", Read);

        var succeeded = await BuildStatusAsync();
        Assert.Equal((failedRun + 1, 0), (succeeded.GetProperty("run").GetInt32(), succeeded.GetProperty("error_count").GetInt32()));
        Assert.Empty(Titles(await OkAsync(HttpMethod.Get, "/api/errors?name=build", Read)));
        Assert.Equal(Titles(firstErrors), Titles(await OkAsync(HttpMethod.Get, $"/api/errors?name=build&run={failedRun}", Read)));
        Assert.Equal(Titles(firstErrors), Titles(await OkAsync(HttpMethod.Get, "/api/errors?name=build&all=true", Read)));

        await using var mcp = await McpCalls.ConnectAsync(new Uri(Gateway.BaseUrl, "/mcp"), Read);
        Assert.Empty(Titles(await mcp.CallAsync("errors_list", new { name = "build" })));
        Assert.Equal(Titles(firstErrors), Titles(await mcp.CallAsync("errors_list", new { name = "build", run = failedRun })));
        Assert.Contains("needs 'name'", await mcp.CallErrorAsync("errors_list", new { run = 1 }), StringComparison.Ordinal);
    }

    [Fact]
    public async Task History_RunRestartStop_ListsEachRunNewestFirstWithWhoStartedIt()
    {
        var node = GatewayUnderTest.Node;
        await OkAsync(HttpMethod.Post, $"/api/processes/{node}/worker/run", Operate);
        await OkAsync(HttpMethod.Post, $"/api/processes/{node}/worker/restart", Operate);
        await OkAsync(HttpMethod.Post, $"/api/processes/{node}/worker/stop", Operate);

        var history = await OkAsync(HttpMethod.Get, $"/api/processes/{node}/worker/history", Read);
        var runs = history.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(2, runs.Count);
        Assert.Equal([2, 1], runs.Select(r => r.GetProperty("run").GetInt32()));
        Assert.All(runs, r => Assert.Equal(("stopped", "operate", "request"),
            (r.GetProperty("outcome").GetString(), r.GetProperty("started_by").GetString(), r.GetProperty("trigger").GetString())));
        Assert.All(runs, r => Assert.True(r.GetProperty("ended_at").GetDateTime() >= r.GetProperty("started_at").GetDateTime()));

        await using var mcp = await McpCalls.ConnectAsync(new Uri(Gateway.BaseUrl, "/mcp"), Read);
        var viaMcp = await mcp.CallAsync("scripts_history", new { name = "worker" });
        Assert.Equal(2, viaMcp.GetProperty("runs").GetArrayLength());
        Assert.Contains("Unknown script", await mcp.CallErrorAsync("scripts_history", new { name = "nope" }), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_ControlActions_AreRecordedWithTheTokenNameAndShownAsLastAction()
    {
        var node = GatewayUnderTest.Node;
        await OkAsync(HttpMethod.Post, $"/api/processes/{node}/sleeper/run", Operate);
        await OkAsync(HttpMethod.Post, $"/api/processes/{node}/sleeper/run", Gateway.Tokens[GatewayRole.Admin]);
        await OkAsync(HttpMethod.Post, $"/api/processes/{node}/sleeper/stop", Operate);

        var audit = await OkAsync(HttpMethod.Get, $"/api/audit?node={node}", Read);
        var mine = audit.GetProperty("entries").EnumerateArray().Where(e => e.GetProperty("name").GetString() == "sleeper")
            .Select(e => (e.GetProperty("by").GetString(), e.GetProperty("action").GetString(), e.GetProperty("outcome").GetString())).ToList();
        Assert.Equal([("operate", "stop", "ok"), ("admin", "run", "already running"), ("operate", "run", "ok")], mine);

        var status = (await OkAsync(HttpMethod.Get, "/api/processes?name=sleeper", Read)).GetProperty("processes")[0].GetProperty("last_action");
        Assert.Equal(("operate", "stop"), (status.GetProperty("by").GetString(), status.GetProperty("action").GetString()));

        await using var mcp = await McpCalls.ConnectAsync(new Uri(Gateway.BaseUrl, "/mcp"), Read);
        var viaMcp = await mcp.CallAsync("audit_list", new { node, limit = 1000 });
        Assert.Contains(viaMcp.GetProperty("entries").EnumerateArray(), e => e.GetProperty("name").GetString() == "sleeper" && e.GetProperty("by").GetString() == "admin");
    }
}
