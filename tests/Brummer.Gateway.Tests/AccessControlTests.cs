using System.Net;
using System.Text.Json;
using Brummer.Gateway.Security;
using Brummer.Tests;

namespace Brummer.Gateway.Tests;

/// <summary>A gateway that requires tokens (one per role) and lets one web origin in.</summary>
public sealed class TokenGatewayFixture : IAsyncLifetime
{
    public const string AllowedOrigin = "http://localhost:5173";

    public GatewayUnderTest Gateway { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Gateway = await GatewayUnderTest.StartAsync(withTokens: true, [AllowedOrigin]);

    public ValueTask DisposeAsync() => Gateway.DisposeAsync();
}

/// <summary>Tokens and roles, through the official MCP client and the JSON API, as each kind of caller meets them.</summary>
public sealed class AccessControlTests(TokenGatewayFixture fixture) : IClassFixture<TokenGatewayFixture>
{
    private static readonly string[] ControlTools = ["scripts_claim", "scripts_release", "scripts_restart", "scripts_run", "scripts_stop"];

    private GatewayUnderTest Gateway => fixture.Gateway;

    private Uri Mcp => new(Gateway.BaseUrl, "/mcp");

    [Fact]
    public async Task Api_NoToken_Is401WithABearerChallenge()
    {
        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Get, "/api/processes"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Contains("requires a token", await BrowserSafetyTests.Detail(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mcp_WrongToken_Is401InvalidToken()
    {
        using var response = await Gateway.SendAsync(Gateway.McpPost(GatewayUnderTest.ToolCall("scripts_status", new { }), token: "brm_not-a-real-token"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.Single().Parameter, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mcp_NoToken_OfficialClientCannotConnect()
    {
        await Assert.ThrowsAnyAsync<Exception>(() => McpCalls.ConnectAsync(Mcp));
    }

    [Fact]
    public async Task Mcp_ReadToken_ListsNoControlToolAndIsRefusedNamingTheRole()
    {
        await using var mcp = await McpCalls.ConnectAsync(Mcp, Gateway.Tokens[GatewayRole.Read]);

        var tools = await mcp.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.DoesNotContain(tools, t => ControlTools.Contains(t.Name));
        Assert.Contains(tools, t => t.Name == "scripts_status");
        var error = await mcp.CallErrorAsync("scripts_run", new { name = "victim" });
        Assert.Contains("scripts_run needs the operate role", error, StringComparison.Ordinal);
        Assert.Contains("('read') has read", error, StringComparison.Ordinal);
        Assert.Null(await Gateway.VictimStatusAsync());
        var status = await mcp.CallAsync("scripts_status");
        Assert.Equal(JsonValueKind.Array, status.GetProperty("processes").ValueKind);
    }

    [Fact]
    public async Task Api_ReadTokenOnAControlRoute_Is403NamingTheRole()
    {
        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Post, "/api/processes/victim/run", Gateway.Tokens[GatewayRole.Read]));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("needs the operate role; this token ('read') has read", await BrowserSafetyTests.Detail(response), StringComparison.Ordinal);
        Assert.Null(await Gateway.VictimStatusAsync());
    }

    [Theory]
    [InlineData(GatewayRole.Operate)]
    [InlineData(GatewayRole.Admin)]
    public async Task Mcp_OperateOrAdminToken_ListsAndRunsControlTools(GatewayRole role)
    {
        await using var mcp = await McpCalls.ConnectAsync(Mcp, Gateway.Tokens[role]);

        var tools = await mcp.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Subset(tools.Select(t => t.Name).ToHashSet(), ControlTools.ToHashSet());
        var run = await mcp.CallAsync("scripts_run", new { name = "quick" });
        Assert.Equal("quick", run.GetProperty("process").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Revoke_TakesEffectWithoutRestart()
    {
        var token = await Gateway.CreateTokenAsync("short-lived", GatewayRole.Read);

        Assert.True(TokenFile.Revoke(Gateway.TokenFile!, "short-lived"));

        await Eventually.UntilAsync(
            async () => (await Gateway.SendAsync(Gateway.Request(HttpMethod.Get, "/api/nodes", token))).StatusCode,
            s => s == HttpStatusCode.Unauthorized,
            "the revoked token to be refused");
    }

    [Fact]
    public async Task AllowedOrigin_CanCallAndGetsCorsHeaders_OthersCannot()
    {
        var preflight = Gateway.Request(HttpMethod.Options, "/mcp", origin: TokenGatewayFixture.AllowedOrigin);
        preflight.Headers.TryAddWithoutValidation("Access-Control-Request-Method", "POST");
        preflight.Headers.TryAddWithoutValidation("Access-Control-Request-Headers", "authorization,content-type");
        using var allowed = await Gateway.SendAsync(preflight);
        Assert.True(allowed.IsSuccessStatusCode, $"preflight answered {allowed.StatusCode}");
        Assert.Equal(TokenGatewayFixture.AllowedOrigin, allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());

        using var call = await Gateway.SendAsync(Gateway.McpPost(GatewayUnderTest.ToolCall("scripts_status", new { }), Gateway.Tokens[GatewayRole.Read], TokenGatewayFixture.AllowedOrigin));
        Assert.Equal(HttpStatusCode.OK, call.StatusCode);

        using var other = await Gateway.SendAsync(Gateway.McpPost(GatewayUnderTest.ToolCall("scripts_status", new { }), Gateway.Tokens[GatewayRole.Read], "http://localhost:5174"));
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
    }

    [Fact]
    public async Task ReadOnlyGateway_HasNoControlToolOrRoute_EvenForAnAdmin()
    {
        await using var readOnly = await GatewayUnderTest.StartAsync(withTokens: true, readOnly: true);
        await using var mcp = await McpCalls.ConnectAsync(new Uri(readOnly.BaseUrl, "/mcp"), readOnly.Tokens[GatewayRole.Admin]);

        var tools = await mcp.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.DoesNotContain(tools, t => ControlTools.Contains(t.Name));
        Assert.Contains(tools, t => t.Name == "logs_search");
        var unknown = await Assert.ThrowsAsync<ModelContextProtocol.McpProtocolException>(() => mcp.CallRawAsync("scripts_run", new { name = "victim" }));
        Assert.Contains("Unknown tool", unknown.Message, StringComparison.Ordinal);
        using var route = await readOnly.SendAsync(readOnly.Request(HttpMethod.Post, "/api/processes/victim/run", readOnly.Tokens[GatewayRole.Admin]));
        Assert.True(route.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, $"POST run answered {route.StatusCode}");
        Assert.Null(await readOnly.VictimStatusAsync());
    }

    [Fact]
    public async Task Healthz_NeedsNoToken()
    {
        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Get, "/healthz"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void TokenFile_StoresHashesOnly_WithOwnerOnlyPermissions()
    {
        var text = File.ReadAllText(Gateway.TokenFile!);

        foreach (var token in Gateway.Tokens.Values)
        {
            Assert.DoesNotContain(token, text, StringComparison.Ordinal);
            Assert.DoesNotContain(token[TokenFile.Prefix.Length..], text, StringComparison.Ordinal);
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Gateway.TokenFile!));
    }
}
