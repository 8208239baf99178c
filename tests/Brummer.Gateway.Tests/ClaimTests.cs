using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Brummer.Gateway.Security;
using Brummer.Tests;
using ModelContextProtocol.Client;

namespace Brummer.Gateway.Tests;

/// <summary>A gateway with tokens: "operate" and "admin" are two teammates (A and B), "read" looks only.</summary>
public sealed class ClaimFixture : IAsyncLifetime
{
    public GatewayUnderTest Gateway { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Gateway = await GatewayUnderTest.StartAsync(
        withTokens: true,
        moreScripts: new Dictionary<string, string>
        {
            ["api"] = Dummy.Command("say:api up", "sleep"),
            ["worker"] = Dummy.Command("say:worker up", "sleep"),
            ["cron"] = Dummy.Command("say:cron up", "sleep"),
            ["db"] = Dummy.Command("say:db up", "sleep"),
            ["edited"] = Dummy.Command("say:edited v1", "sleep"),
        });

    public ValueTask DisposeAsync() => Gateway.DisposeAsync();
}

/// <summary>Claims: one teammate keeps the others' hands off a process for a while; forcing past it is recorded.</summary>
public sealed class ClaimTests(ClaimFixture fixture) : IClassFixture<ClaimFixture>
{
    private const string Node = GatewayUnderTest.Node;

    private GatewayUnderTest Gateway => fixture.Gateway;

    private Uri Mcp => new(Gateway.BaseUrl, "/mcp");

    private string A => Gateway.Tokens[GatewayRole.Operate];

    private string B => Gateway.Tokens[GatewayRole.Admin];

    private string Read => Gateway.Tokens[GatewayRole.Read];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, string token)
    {
        using var response = await Gateway.SendAsync(Gateway.Request(method, path, token));
        var body = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, JsonDocument.Parse(body).RootElement.Clone());
    }

    private async Task<JsonElement> StatusOfAsync(string name)
    {
        var (status, body) = await SendAsync(HttpMethod.Get, $"/api/processes?name={name}", Read);
        Assert.Equal(HttpStatusCode.OK, status);
        return body.GetProperty("processes")[0];
    }

    private static async Task<List<JsonElement>> AuditOfAsync(string name, McpClient mcp) =>
        [.. (await mcp.CallAsync("audit_list", new { node = Node, limit = 1000 })).GetProperty("entries").EnumerateArray().Where(e => e.GetProperty("name").GetString() == name)];

    [Fact]
    public async Task Claim_ByA_RefusesBsStop_LetsAAct_AndBForcesItWithTheAuditSayingOverWhom()
    {
        await using var a = await McpCalls.ConnectAsync(Mcp, A);
        await using var b = await McpCalls.ConnectAsync(Mcp, B);
        await a.CallAsync("scripts_run", new { name = "api" });

        var claim = (await a.CallAsync("scripts_claim", new { name = "api", minutes = 30, note = "debugging the login bug" })).GetProperty("claim");
        var refused = await b.CallErrorAsync("scripts_stop", new { name = "api" });
        var (apiStatus, apiProblem) = await SendAsync(HttpMethod.Post, $"/api/processes/{Node}/api/restart", B);
        var shown = await StatusOfAsync("api");

        Assert.Equal(("operate", "debugging the login bug"), (claim.GetProperty("by").GetString(), claim.GetProperty("note").GetString()));
        var until = claim.GetProperty("until").GetDateTime();
        Assert.InRange(until - DateTime.UtcNow, TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(30));
        Assert.Equal(
            $"'api' on node '{Node}' is claimed by operate until {until:yyyy-MM-ddTHH:mm:ssZ}: debugging the login bug — pass force: true to act anyway (recorded).",
            refused);
        Assert.Equal(HttpStatusCode.Conflict, apiStatus);
        Assert.Equal(refused, apiProblem.GetProperty("detail").GetString());
        Assert.Equal("running", shown.GetProperty("status").GetString());
        Assert.Equal("operate", shown.GetProperty("claim").GetProperty("by").GetString());
        Assert.Equal(until, shown.GetProperty("claim").GetProperty("until").GetDateTime());

        // The holder acts freely; B gets through only by forcing it.
        await a.CallAsync("scripts_restart", new { name = "api" });
        var forced = await b.CallAsync("scripts_stop", new { name = "api", force = true });

        Assert.Equal("stopped", forced.GetProperty("process").GetProperty("status").GetString());
        var audit = await AuditOfAsync("api", b);
        var byAction = audit.Select(e => (e.GetProperty("by").GetString(), e.GetProperty("action").GetString(), e.GetProperty("forced_over").GetString())).ToList();
        Assert.Equal(("admin", "stop", "operate"), byAction[0]);
        Assert.Equal("ok", audit[0].GetProperty("outcome").GetString());
        Assert.Equal(("operate", "restart", null), byAction[1]);
        Assert.Contains(audit, e => e.GetProperty("by").GetString() == "admin" && e.GetProperty("action").GetString() == "stop" &&
            e.GetProperty("outcome").GetString()!.StartsWith("refused: claimed by operate until ", StringComparison.Ordinal));
        Assert.Contains(audit, e => e.GetProperty("by").GetString() == "operate" && e.GetProperty("action").GetString() == "claim");
    }

    [Fact]
    public async Task Release_ByTheHolder_LetsOthersAct_WhileOthersCannotReleaseWithoutForce()
    {
        await using var a = await McpCalls.ConnectAsync(Mcp, A);
        await using var b = await McpCalls.ConnectAsync(Mcp, B);
        await a.CallAsync("scripts_run", new { name = "worker" });
        await a.CallAsync("scripts_claim", new { name = "worker", minutes = 10 });

        var othersRelease = await b.CallErrorAsync("scripts_release", new { name = "worker" });
        var (deleteStatus, _) = await SendAsync(HttpMethod.Delete, $"/api/processes/{Node}/worker/claim", B);
        var released = await a.CallAsync("scripts_release", new { name = "worker" });
        var stopped = await b.CallAsync("scripts_stop", new { name = "worker" });
        var again = await a.CallAsync("scripts_release", new { name = "worker" });

        Assert.StartsWith($"'worker' on node '{Node}' is claimed by operate until ", othersRelease, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, deleteStatus);
        Assert.Equal("operate", released.GetProperty("claim").GetProperty("by").GetString());
        Assert.Equal("stopped", stopped.GetProperty("process").GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, again.GetProperty("claim").ValueKind);
        Assert.Equal(JsonValueKind.Null, (await StatusOfAsync("worker")).GetProperty("claim").ValueKind);
    }

    [Fact]
    public async Task Claim_WhenItsTimeIsUp_LapsesByItself_AndOthersActAgain()
    {
        await using var a = await McpCalls.ConnectAsync(Mcp, A);
        await using var b = await McpCalls.ConnectAsync(Mcp, B);
        await a.CallAsync("scripts_run", new { name = "cron" });

        // 1.2 s: long enough to be seen, short enough to wait for.
        await a.CallAsync("scripts_claim", new { name = "cron", minutes = 0.02 });
        await Eventually.UntilAsync(
            () => StatusOfAsync("cron"),
            p => p.GetProperty("claim").ValueKind == JsonValueKind.Null,
            "the claim on cron to lapse");
        var stopped = await b.CallAsync("scripts_stop", new { name = "cron" });

        Assert.Equal("stopped", stopped.GetProperty("process").GetProperty("status").GetString());
        Assert.Null((await AuditOfAsync("cron", b))[0].GetProperty("forced_over").GetString());
    }

    [Fact]
    public async Task Claim_Lapsing_IsAChange_ThatPollersAskingWhatChangedSee()
    {
        await using var a = await McpCalls.ConnectAsync(Mcp, A);
        await a.CallAsync("scripts_run", new { name = "db" });

        // The cursor must be read while the claim holds; on a slow machine a 3 s claim may lapse first, so claim again.
        var (_, cursor) = await Eventually.UntilAsync(
            async () =>
            {
                await a.CallAsync("scripts_claim", new { name = "db", minutes = 0.05 });
                var (status, body) = await SendAsync(HttpMethod.Get, "/api/processes?name=db", Read);
                Assert.Equal(HttpStatusCode.OK, status);
                return (Claimed: body.GetProperty("processes")[0].GetProperty("claim").ValueKind == JsonValueKind.Object, Cursor: body.GetProperty("cursor").GetString());
            },
            r => r.Claimed,
            "a status answer showing the claim on db");

        // Poll as an agent does, each time from the cursor of the previous answer: db must come back unclaimed.
        await Eventually.UntilAsync(
            async () =>
            {
                var (_, body) = await SendAsync(HttpMethod.Get, $"/api/processes?changed_since={Uri.EscapeDataString(cursor!)}", Read);
                cursor = body.GetProperty("cursor").GetString();
                return body.GetProperty("processes").EnumerateArray().Any(p => p.GetProperty("name").GetString() == "db" && p.GetProperty("claim").ValueKind == JsonValueKind.Null);
            },
            unclaimed => unclaimed,
            "db to be reported changed, unclaimed, when its claim lapsed");
        await a.CallAsync("scripts_stop", new { name = "db" });
    }

    [Fact]
    public async Task Claim_ReloadChangingTheClaimedProcess_LeavesItRunning_UntilItsHolderRestartsIt()
    {
        await using var a = await McpCalls.ConnectAsync(Mcp, A);
        var started = (await a.CallAsync("scripts_run", new { name = "edited" })).GetProperty("process");
        await a.CallAsync("scripts_claim", new { name = "edited", minutes = 30 });
        var file = Gateway.Stack.File("package.json");
        var package = JsonNode.Parse(await File.ReadAllTextAsync(file, Ct))!;
        package["scripts"]!["edited"] = Dummy.Command("say:edited v2", "sleep");

        // Someone else's edit (the node's file watcher may apply it before this reload does: either way, once).
        await File.WriteAllTextAsync(file, package.ToJsonString(), Ct);
        var (status, _) = await SendAsync(HttpMethod.Post, "/api/reload", B);
        Assert.Equal(HttpStatusCode.OK, status);
        await Eventually.UntilAsync(
            () => Gateway.Logs.Lines.Any(l => l.Contains("0 restarted, 1 claimed and left running", StringComparison.Ordinal)),
            "the reload to leave the claimed process running");

        var during = await StatusOfAsync("edited");
        Assert.Equal("running", during.GetProperty("status").GetString());
        Assert.Equal(started.GetProperty("pid").GetInt32(), during.GetProperty("pid").GetInt32());
        var restarted = (await a.CallAsync("scripts_restart", new { name = "edited" })).GetProperty("process");
        Assert.NotEqual(started.GetProperty("pid").GetInt32(), restarted.GetProperty("pid").GetInt32());
        await Eventually.UntilAsync(
            () => StatusOfAsync("edited"),
            p => p.GetProperty("last_line").GetString() == "edited v2",
            "the restart to run the new definition");
        await a.CallAsync("scripts_release", new { name = "edited" });
        await a.CallAsync("scripts_stop", new { name = "edited" });
    }

    [Fact]
    public async Task Claim_BadInputOrReadRole_IsAClearErrorAndChangesNothing()
    {
        await using var a = await McpCalls.ConnectAsync(Mcp, A);
        await using var reader = await McpCalls.ConnectAsync(Mcp, Read);
        await a.CallAsync("scripts_run", new { name = "db" });

        var zero = await a.CallErrorAsync("scripts_claim", new { name = "db", minutes = 0 });
        var tooLong = await a.CallErrorAsync("scripts_claim", new { name = "db", minutes = 1441 });
        var longNote = await a.CallErrorAsync("scripts_claim", new { name = "db", minutes = 5, note = new string('n', 201) });
        var unknown = await a.CallErrorAsync("scripts_claim", new { name = "nope", minutes = 5 });
        var (badQuery, badProblem) = await SendAsync(HttpMethod.Post, $"/api/processes/{Node}/db/claim?minutes=soon", A);
        var readOnly = await reader.CallErrorAsync("scripts_claim", new { name = "db", minutes = 5 });
        var (readStatus, _) = await SendAsync(HttpMethod.Post, $"/api/processes/{Node}/db/claim?minutes=5", Read);

        Assert.Equal("'minutes' must be more than 0 and at most 1440 (24 h); got 0. Claim again to extend your claim.", zero);
        Assert.Equal("'minutes' must be more than 0 and at most 1440 (24 h); got 1441. Claim again to extend your claim.", tooLong);
        Assert.Equal("'note' is 201 characters long; a claim's note has at most 200.", longNote);
        Assert.StartsWith("Unknown script 'nope'", unknown, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badQuery);
        Assert.Equal("'minutes' must be a number (e.g. 30 or 0.5); got 'soon'.", badProblem.GetProperty("detail").GetString());
        Assert.StartsWith("scripts_claim needs the operate role", readOnly, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, readStatus);
        Assert.Equal(JsonValueKind.Null, (await StatusOfAsync("db")).GetProperty("claim").ValueKind);
        Assert.DoesNotContain(await AuditOfAsync("db", a), e => e.GetProperty("action").GetString() == "claim");
    }
}
