using System.Net;
using Brummer.Gateway.Security;

namespace Brummer.Gateway.Tests;

/// <summary>
/// The gateway's Prometheus scrape endpoint follows the API's read rules: a scraper with a read token gets the text
/// format, anyone else what the API would answer them (no token, a cross-site page, a rebound host name).
/// </summary>
public sealed class MetricsEndpointTests(TokenGatewayFixture fixture) : IClassFixture<TokenGatewayFixture>
{
    private const string Metrics = "/metrics";

    private GatewayUnderTest Gateway => fixture.Gateway;

    [Fact]
    public async Task Metrics_WithAReadToken_IsPrometheusTextWithBrummersInstruments()
    {
        // A status read first, so the gateway has answered something worth counting.
        using (await Gateway.SendAsync(Gateway.Request(HttpMethod.Get, "/api/processes", Gateway.Tokens[GatewayRole.Read])))
        {
        }

        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Get, Metrics, Gateway.Tokens[GatewayRole.Read]));
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE brummer_gateway_api_requests_total counter", text, StringComparison.Ordinal);
        Assert.Matches(@"brummer_gateway_api_requests_total\{[^}]*http_route=""/api/processes""", text);
        Assert.Contains("brummer_process_count{", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, null, HttpStatusCode.Unauthorized)]
    [InlineData("read", "http://evil.example", null, HttpStatusCode.Forbidden)]
    [InlineData("read", null, "evil.example", HttpStatusCode.Forbidden)]
    public async Task Metrics_IsRefusedWhereTheApiIs(string? token, string? origin, string? host, HttpStatusCode expected)
    {
        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Get, Metrics, token == "read" ? Gateway.Tokens[GatewayRole.Read] : token, origin, host));

        Assert.Equal(expected, response.StatusCode);
        Assert.DoesNotContain("brummer_", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }
}
