using System.Text.Json;
using Brummer.Tests;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Brummer.Gateway.Tests;

/// <summary>A gateway without tokens: MCP callers are named by what their client says of itself.</summary>
public sealed class OpenGatewayFixture : IAsyncLifetime
{
    public GatewayUnderTest Gateway { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Gateway = await GatewayUnderTest.StartAsync(
        withTokens: false,
        moreScripts: new Dictionary<string, string>
        {
            ["web"] = Dummy.Command("say:web up", "sleep"),
            ["docs"] = Dummy.Command("say:docs up", "sleep"),
            ["api"] = Dummy.Command("say:api up", "sleep"),
        });

    public ValueTask DisposeAsync() => Gateway.DisposeAsync();
}

/// <summary>Who an MCP call is recorded as when the gateway has no token to name the caller by.</summary>
public sealed class McpActorTests(OpenGatewayFixture fixture) : IClassFixture<OpenGatewayFixture>
{
    private GatewayUnderTest Gateway => fixture.Gateway;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<McpClient> ConnectAsync(string protocolVersion, string clientName, IDictionary<string, string>? headers = null) => McpClient.CreateAsync(
        new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(Gateway.BaseUrl, "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = headers,
        }),
        new McpClientOptions { ProtocolVersion = protocolVersion, ClientInfo = new Implementation { Name = clientName, Version = "1.0.0" } },
        cancellationToken: Ct);

    private static async Task AssertRecordedAsAsync(McpClient mcp, string script, string actor)
    {
        var audit = await mcp.CallAsync("audit_list", new { node = GatewayUnderTest.Node, limit = 1000 });
        var entry = audit.GetProperty("entries").EnumerateArray().First(e => e.GetProperty("name").GetString() == script);
        var status = (await mcp.CallAsync("scripts_status", new { name = script })).GetProperty("processes")[0];

        Assert.Equal((actor, "run"), (entry.GetProperty("by").GetString(), entry.GetProperty("action").GetString()));
        Assert.Equal(actor, status.GetProperty("last_action").GetProperty("by").GetString());
    }

    [Fact]
    public async Task McpClient_OnTheStatelessRevision_IsRecordedByItsClientInfoName()
    {
        // 2026-07-28 carries clientInfo in every request's _meta: no session is needed to know who calls.
        await using var mcp = await ConnectAsync("2026-07-28", "agent-x");

        await mcp.CallAsync("scripts_run", new { name = "web" });

        await AssertRecordedAsAsync(mcp, "web", "agent-x");
    }

    [Fact]
    public async Task McpClient_OnTheInitializeRevision_IsRecordedByItsClientInfoName()
    {
        // 2025-11-25 over stateless HTTP: the SDK forgets the initialize, but the notification session it got keeps the name.
        await using var mcp = await ConnectAsync("2025-11-25", "agent-y", new Dictionary<string, string> { ["User-Agent"] = "other/2.1 (linux)" });

        await mcp.CallAsync("scripts_run", new { name = "docs" });

        await AssertRecordedAsAsync(mcp, "docs", "agent-y");
    }

    [Fact]
    public async Task RawCall_WithoutASession_IsRecordedByItsUserAgentProduct()
    {
        // A raw JSON-RPC POST without initialize names itself nowhere but in its User-Agent.
        var request = Gateway.McpPost(GatewayUnderTest.ToolCall("scripts_run", new { name = "api" }));
        request.Headers.TryAddWithoutValidation("User-Agent", "agent-z/2.1 (linux)");
        using (var response = await Gateway.SendAsync(request))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        await using var mcp = await ConnectAsync("2026-07-28", "reader");
        await AssertRecordedAsAsync(mcp, "api", "agent-z");
    }
}
