using System.Net;
using System.Text.Json;
using Brummer.Tests;
using ModelContextProtocol.Client;

namespace Brummer.Gateway.Tests;

/// <summary>
/// The common poll, <c>tools/call scripts_status</c> without arguments, is answered from bytes serialized once per
/// cluster view as one application/json JSON-RPC response; everything the SDK would answer differently still reaches it.
/// </summary>
public sealed class StatusPollTests : IAsyncLifetime
{
    private const string Poll = """{"jsonrpc":"2.0","id":ID,"method":"tools/call","params":{"name":"scripts_status","arguments":{}}}""";

    private GatewayUnderTest _gateway = null!;

    public async ValueTask InitializeAsync()
    {
        _gateway = await GatewayUnderTest.StartAsync(withTokens: false);
        using var run = await _gateway.SendAsync(_gateway.Request(HttpMethod.Post, "/api/processes/victim/run"));
        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
    }

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    [Theory]
    [InlineData("7")]
    [InlineData("\"poll-\\u00e9\"")]
    public async Task Poll_IsOneJsonResponse_CarryingTheIdAsSent(string id)
    {
        using var response = await _gateway.SendAsync(_gateway.McpPost(Poll.Replace("ID", id, StringComparison.Ordinal)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var message = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var root = message.RootElement;
        Assert.Equal("2.0", root.GetProperty("jsonrpc").GetString());
        Assert.Equal(JsonDocument.Parse(id).RootElement.ToString(), root.GetProperty("id").ToString());
        var result = root.GetProperty("result");
        Assert.Contains(result.GetProperty("structuredContent").GetProperty("processes").EnumerateArray(), p => p.GetProperty("name").GetString() == "victim");
        Assert.StartsWith("as_of ", result.GetProperty("content")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Poll_AnswersWhatTheSdkAnswers_ToAClientOfEitherRevision()
    {
        // 2025-11-25 (initialize handshake) is served from the cached bytes; 2026-07-28 (per-request metadata) goes
        // through the SDK, which adds its server info to the result's _meta.
        await using var cached = await McpCalls.ConnectAsync(new Uri(_gateway.BaseUrl, "/mcp"));
        await using var sdk = await McpClient.CreateAsync(
            new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri(_gateway.BaseUrl, "/mcp"), TransportMode = HttpTransportMode.StreamableHttp }),
            new McpClientOptions { ProtocolVersion = "2026-07-28" },
            cancellationToken: TestContext.Current.CancellationToken);

        // The two answers are compared: wait until the view has settled (the victim's first line has reached it).
        await Eventually.UntilAsync(
            async () => McpCalls.Structured(await cached.CallRawAsync("scripts_status")).GetProperty("processes").EnumerateArray()
                .Any(p => p.GetProperty("name").GetString() == "victim" && p.GetProperty("last_line").GetString() == "victim started"),
            settled => settled,
            "the victim's first line in the status");
        var fromCache = await cached.CallRawAsync("scripts_status");
        var fromSdk = await sdk.CallRawAsync("scripts_status");

        Assert.Null(fromCache.Meta);
        Assert.NotNull(fromSdk.Meta);
        Assert.Equal(McpCalls.Structured(fromSdk).GetProperty("processes").ToString(), McpCalls.Structured(fromCache).GetProperty("processes").ToString());
        Assert.Equal(McpCalls.Text(fromSdk).Split('\n').Skip(1), McpCalls.Text(fromCache).Split('\n').Skip(1)); // the first line has the times
    }

    [Fact]
    public async Task Poll_FromAClientThatDoesNotAcceptAnEventStream_GetsTheSdks406()
    {
        var request = _gateway.McpPost(Poll.Replace("ID", "1", StringComparison.Ordinal));
        request.Headers.Accept.Clear();
        request.Headers.Accept.ParseAdd("application/json");

        using var response = await _gateway.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
    }

    [Fact]
    public async Task Poll_WithAnUnknownSessionId_IsTheTransportsNotFound()
    {
        var request = _gateway.McpPost(Poll.Replace("ID", "1", StringComparison.Ordinal));
        request.Headers.Add("Mcp-Session-Id", "made-up");

        using var response = await _gateway.SendAsync(request);

        // Sessions exist for notifications (McpSessionEndpoint): an id the gateway did not give is a 404, which tells
        // a client to initialize again.
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Mcp-Session-Id", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Poll_IsAnsweredFromTheNewView_AfterAChange()
    {
        using (var stop = await _gateway.SendAsync(_gateway.Request(HttpMethod.Post, "/api/processes/victim/stop")))
        {
            Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        }

        await Eventually.UntilAsync(
            async () =>
            {
                using var response = await _gateway.SendAsync(_gateway.McpPost(Poll.Replace("ID", "1", StringComparison.Ordinal)));
                using var message = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
                return message.RootElement.GetProperty("result").GetProperty("structuredContent").GetProperty("processes").EnumerateArray()
                    .Single(p => p.GetProperty("name").GetString() == "victim").GetProperty("status").GetString();
            },
            status => status == "stopped",
            "the poll to show victim stopped");
    }
}
