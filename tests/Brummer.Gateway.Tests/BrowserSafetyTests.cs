using System.Net;
using System.Text;
using System.Text.Json;

namespace Brummer.Gateway.Tests;

/// <summary>A gateway as `brummer up` runs it by default: loopback, no tokens.</summary>
public sealed class LoopbackGatewayFixture : IAsyncLifetime
{
    public GatewayUnderTest Gateway { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Gateway = await GatewayUnderTest.StartAsync(withTokens: false);

    public ValueTask DisposeAsync() => Gateway.DisposeAsync();
}

/// <summary>
/// The attacks a web page the developer happens to open can make on a loopback gateway: cross-site "simple" requests
/// (no preflight), a foreign Origin, and DNS rebinding (a page on evil.example whose name now resolves to 127.0.0.1).
/// Each is refused, and none starts anything.
/// </summary>
public sealed class BrowserSafetyTests(LoopbackGatewayFixture fixture) : IClassFixture<LoopbackGatewayFixture>
{
    private const string Evil = "http://evil.example";

    private GatewayUnderTest Gateway => fixture.Gateway;

    [Fact]
    public async Task Api_CrossSiteSimplePost_IsRefusedAndRunsNothing()
    {
        // What <form method=post enctype=text/plain> or fetch(..., {mode: 'no-cors'}) sends: no preflight needed.
        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Post, $"/api/processes/{GatewayUnderTest.Node}/victim/run", origin: Evil, content: new StringContent("x", Encoding.UTF8, "text/plain")));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Origin 'http://evil.example' may not call this gateway", await Detail(response), StringComparison.Ordinal);
        Assert.Null(await Gateway.VictimStatusAsync());
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    public async Task Api_FormBodyWithoutOrigin_IsRefusedAndRunsNothing(string contentType)
    {
        // Even without an Origin header (old browsers, privacy extensions), a form body never reaches a control route.
        var content = new StringContent("name=victim", Encoding.UTF8);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Post, "/api/processes/victim/run", content: content));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("takes a JSON body", await Detail(response), StringComparison.Ordinal);
        Assert.Null(await Gateway.VictimStatusAsync());
    }

    [Fact]
    public async Task Mcp_ForeignOrigin_IsRefusedAndRunsNothing()
    {
        using var response = await Gateway.SendAsync(Gateway.McpPost(GatewayUnderTest.ToolCall("scripts_run", new { name = "victim" }), origin: Evil));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(await Gateway.VictimStatusAsync());
    }

    [Theory]
    [InlineData("evil.example")]
    [InlineData("evil.example:{port}")]
    [InlineData("127.0.0.1.nip.io:{port}")]
    [InlineData("192.168.1.10:{port}")]
    public async Task Mcp_DnsRebindingHost_IsRefusedAndRunsNothing(string host)
    {
        // A rebound page is same-origin with itself: its Origin matches its Host. Only the Host name gives it away.
        host = host.Replace("{port}", Gateway.BaseUrl.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        using var response = await Gateway.SendAsync(Gateway.McpPost(GatewayUnderTest.ToolCall("scripts_run", new { name = "victim" }), origin: $"http://{host}", host: host));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("is not a loopback name", await Detail(response), StringComparison.Ordinal);
        Assert.Null(await Gateway.VictimStatusAsync());
    }

    [Fact]
    public async Task Api_DnsRebindingRead_IsRefused()
    {
        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Get, "/api/processes", host: "evil.example"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Mcp_NullOrigin_IsRefused()
    {
        // Sandboxed iframes and file:// pages send "Origin: null".
        using var response = await Gateway.SendAsync(Gateway.McpPost(GatewayUnderTest.ToolCall("scripts_status", new { }), origin: "null"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    public async Task Mcp_OwnOriginOnALoopbackName_IsServed(string name)
    {
        var host = $"{name}:{Gateway.BaseUrl.Port}";
        using var response = await Gateway.SendAsync(Gateway.McpPost(GatewayUnderTest.ToolCall("scripts_status", new { }), origin: $"http://{host}", host: host));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Mcp_WithoutContentType_IsRefusedWith415NotAServerError()
    {
        var request = Gateway.McpPost(GatewayUnderTest.ToolCall("scripts_status", new { }));
        request.Content!.Headers.ContentType = null;
        using var response = await Gateway.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Healthz_AnswersWhateverTheHost()
    {
        // Container and load-balancer health checks name the service, not localhost; /healthz says nothing secret.
        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Get, "/healthz", host: "gateway"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Api_JsonPostFromNoOrigin_StillWorks()
    {
        // The CLI and curl: no Origin, no body (or JSON). Nothing above may break them.
        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Post, "/api/processes/quick/run"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    internal static async Task<string> Detail(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString()!;
    }
}
