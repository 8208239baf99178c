using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Brummer.Cli;
using Brummer.Gateway.Security;
using Brummer.Tests;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Brummer.Gateway.Tests;

/// <summary>
/// A real <c>brummer up</c> (Kestrel on a free loopback port) over a small stack, set up the way a test of access
/// control needs it: with or without a token file (tokens for each role), with allowed web origins. Requests go out
/// raw, with whatever headers an attacker's page or a misbehaving client would send.
/// </summary>
public sealed class GatewayUnderTest : IAsyncDisposable
{
    public const string Node = "node-s";

    private readonly WebApplication _app;

    private GatewayUnderTest(WebApplication app, StackDirectory stack, string? tokenFile, Uri baseUrl, IReadOnlyDictionary<GatewayRole, string> tokens, CapturedLogs logs)
    {
        _app = app;
        Logs = logs;
        Stack = stack;
        TokenFile = tokenFile;
        BaseUrl = baseUrl;
        Tokens = tokens;
        Http = new HttpClient { BaseAddress = baseUrl };
    }

    public StackDirectory Stack { get; }

    /// <summary>Everything the gateway and node logged at Information and above.</summary>
    public CapturedLogs Logs { get; }

    public string? TokenFile { get; }

    public Uri BaseUrl { get; }

    /// <summary>One token per role ("read", "operate", "admin" are also the token names).</summary>
    public IReadOnlyDictionary<GatewayRole, string> Tokens { get; }

    public HttpClient Http { get; }

    /// <summary>The gateway's services, to look at what a request left behind (e.g. waits still parked).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Scripts: <c>victim</c> (what attacks try to start; prints and sleeps), <c>quick</c> (exits 0), <c>noisy</c> (200 lines, exits 0).</summary>
    public static async Task<GatewayUnderTest> StartAsync(
        bool withTokens,
        string[]? allowedOrigins = null,
        bool readOnly = false,
        TimeSpan? controlTimeout = null,
        IReadOnlyDictionary<string, string>? moreScripts = null,
        TimeSpan? stopTimeout = null)
    {
        var scripts = new Dictionary<string, string>
        {
            ["victim"] = Dummy.Command("say:victim started", "sleep"),
            ["quick"] = Dummy.Command("say:quick done", "exit:0"),
            ["noisy"] = Dummy.Command("print:200", "exit:0"),
        };
        foreach (var (name, command) in moreScripts ?? new Dictionary<string, string>())
        {
            scripts[name] = command;
        }

        var stack = new StackDirectory(scripts);
        string? tokenFile = null;
        var tokens = new Dictionary<GatewayRole, string>();
        if (withTokens)
        {
            tokenFile = stack.File("tokens.json");
            foreach (var role in Enum.GetValues<GatewayRole>())
            {
                tokens[role] = Security.TokenFile.Create(tokenFile, role.ToWireName(), role, TimeProvider.System);
            }
        }

        var security = new GatewaySecurity(tokenFile, tokens.Count, allowedOrigins ?? [], readOnly, controlTimeout ?? TimeSpan.FromSeconds(10));
        var logs = new CapturedLogs();
        var app = EmbeddedCluster.Build(
            new UpOptions(stack.Path, Node, 0, IPAddress.Loopback, stopTimeout ?? TimeSpan.FromSeconds(1), security),
            configure: host => host.Logging.AddProvider(logs));
        var url = await EmbeddedCluster.StartAsync(app, TestContext.Current.CancellationToken);
        return new GatewayUnderTest(app, stack, tokenFile, url, tokens, logs);
    }

    /// <summary>Adds a token to the gateway's token file, as <c>brummer token create</c> does; returns it once the gateway accepts it.</summary>
    public async Task<string> CreateTokenAsync(string name, GatewayRole role)
    {
        var token = Security.TokenFile.Create(TokenFile ?? throw new InvalidOperationException("This gateway runs without tokens."), name, role, TimeProvider.System);
        await Eventually.UntilAsync(
            async () => (await SendAsync(Request(HttpMethod.Get, "/api/nodes", token))).StatusCode,
            s => s == HttpStatusCode.OK,
            $"the new token '{name}' to be accepted");
        return token;
    }

    public HttpRequestMessage Request(HttpMethod method, string path, string? token = null, string? origin = null, string? host = null, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, new Uri(BaseUrl, path)) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (origin is not null)
        {
            request.Headers.TryAddWithoutValidation("Origin", origin);
        }

        if (host is not null)
        {
            request.Headers.Host = host;
        }

        return request;
    }

    /// <summary>A raw MCP POST of one JSON-RPC message, as any HTTP client can send it.</summary>
    public HttpRequestMessage McpPost(string json, string? token = null, string? origin = null, string? host = null, string contentType = "application/json")
    {
        var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        var request = Request(HttpMethod.Post, "/mcp", token, origin, host, content);
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        return request;
    }

    public static string ToolCall(string tool, object arguments) => JsonSerializer.Serialize(new
    {
        jsonrpc = "2.0",
        id = 1,
        method = "tools/call",
        @params = new { name = tool, arguments },
    });

    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            return await Http.SendAsync(request, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The victim's status on the node as the gateway reports it (null: it has never run).</summary>
    public async Task<string?> VictimStatusAsync()
    {
        using var response = await SendAsync(Request(HttpMethod.Get, "/api/processes?name=victim", Tokens.GetValueOrDefault(GatewayRole.Read)));
        response.EnsureSuccessStatusCode();
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        return body.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("status").GetString()).SingleOrDefault();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Stack.Dispose();
    }
}
