using System.Net;
using System.Text.Json;
using Brummer.Gateway.Security;

namespace Brummer.Gateway.Tests;

/// <summary>
/// What the gateway serves for the web dashboard: the page and its two files (no token needed, strict headers, still
/// behind the browser guard), and <c>/api/whoami</c>, from which the page learns whether to show its controls.
/// The page in a real browser is tested in Brummer.Cli.Tests (DashboardTests).
/// </summary>
public sealed class DashboardEndpointTests(TokenGatewayFixture fixture) : IClassFixture<TokenGatewayFixture>
{
    private GatewayUnderTest Gateway => fixture.Gateway;

    [Theory]
    [InlineData("/", "text/html")]
    [InlineData("/dashboard/app.js", "text/javascript")]
    [InlineData("/dashboard/app.css", "text/css")]
    public async Task Dashboard_FileWithoutToken_IsServedUncachedUnderAStrictContentSecurityPolicy(string path, string mediaType)
    {
        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Get, path));
        using var again = Gateway.Request(HttpMethod.Get, path);
        again.Headers.IfNoneMatch.Add(response.Headers.ETag!);
        using var revalidated = await Gateway.SendAsync(again);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.StartsWith("default-src 'self'; script-src 'self'; style-src 'self';", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.True((await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken)).Length > 500);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
    }

    [Fact]
    public async Task Dashboard_PageForARebindingHostName_IsRefusedByTheBrowserGuard()
    {
        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Get, "/", host: "evil.example"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("not a loopback name", await BrowserSafetyTests.Detail(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_Page_LoadsNothingFromElsewhere()
    {
        var html = await Gateway.Http.GetStringAsync(new Uri(Gateway.BaseUrl, "/"), TestContext.Current.CancellationToken);
        var script = await Gateway.Http.GetStringAsync(new Uri(Gateway.BaseUrl, "/dashboard/app.js"), TestContext.Current.CancellationToken);

        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal); // no inline script: the policy would block it
        Assert.Contains("<script type=\"module\" src=\"/dashboard/app.js\"></script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("new EventSource(", script, StringComparison.Ordinal); // it cannot send the token in a header
        Assert.DoesNotContain("access_token", script, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhoAmI_NoToken_Is401()
    {
        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Get, "/api/whoami"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [InlineData(GatewayRole.Read, "read", false)]
    [InlineData(GatewayRole.Operate, "operate", true)]
    [InlineData(GatewayRole.Admin, "admin", true)]
    public async Task WhoAmI_Token_SaysItsNameRoleAndWhetherItMayControl(GatewayRole role, string wireRole, bool canControl)
    {
        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Get, "/api/whoami", Gateway.Tokens[role]));
        var me = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(role.ToWireName(), me.GetProperty("name").GetString()); // the fixture names each token after its role
        Assert.Equal(wireRole, me.GetProperty("role").GetString());
        Assert.True(me.GetProperty("tokens_required").GetBoolean());
        Assert.Equal(canControl, me.GetProperty("can_control").GetBoolean());
    }

    [Fact]
    public async Task WhoAmI_LoopbackReadOnlyGatewayWithoutTokens_IsLocalAdminWhoMayNotControl()
    {
        await using var readOnly = await GatewayUnderTest.StartAsync(withTokens: false, readOnly: true);

        using var response = await readOnly.SendAsync(readOnly.Request(HttpMethod.Get, "/api/whoami"));
        var me = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("local", me.GetProperty("name").GetString());
        Assert.Equal("admin", me.GetProperty("role").GetString());
        Assert.False(me.GetProperty("tokens_required").GetBoolean());
        Assert.False(me.GetProperty("can_control").GetBoolean()); // the gateway maps no control route
    }

    [Fact]
    public async Task Dashboard_ControlFromAnotherOrigin_IsStillRefused()
    {
        // The page is same-origin, so its POSTs pass; a page elsewhere still cannot drive the API.
        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Post, "/api/processes/victim/run", Gateway.Tokens[GatewayRole.Operate], origin: "http://evil.example"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(await Gateway.VictimStatusAsync());
    }
}
