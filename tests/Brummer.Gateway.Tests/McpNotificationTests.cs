using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Brummer.Gateway.Security;
using Brummer.Tests;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

// logging/setLevel and notifications/message are deprecated from MCP 2026-07-28 on; the gateway offers them to
// initialize-handshake clients, which is what these tests are.
#pragma warning disable MCP9005

namespace Brummer.Gateway.Tests;

/// <summary>A gateway with tokens and scripts that print on cue, fail, print errors, or print steadily.</summary>
public sealed class NotificationGatewayFixture : IAsyncLifetime
{
    public GatewayUnderTest Gateway { get; private set; } = null!;

    /// <summary>When this file appears, <c>chatty</c> prints its second line.</summary>
    public string ChattyGo { get; } = Path.Combine(Path.GetTempPath(), $"brummer-chatty-{Guid.NewGuid():N}");

    /// <summary>How many lines <c>ticker</c> prints, one every 100 ms.</summary>
    public const int Ticks = 40;

    public async ValueTask InitializeAsync() => Gateway = await GatewayUnderTest.StartAsync(
        withTokens: true,
        moreScripts: new Dictionary<string, string>
        {
            ["chatty"] = Dummy.Command("say:chatty first line", $"wait-file:{ChattyGo}", "say:chatty second line", "sleep"),
            ["crashes"] = Dummy.Command("err:Error: cannot connect to db", "exit:3"),
            ["broken"] = Dummy.Command("err:TypeError: Cannot read properties of undefined (reading 'port')", "err:    at start (/app/server.js:12:7)", "err:    at main (/app/index.js:3:1)", "say:still up", "sleep"),
            ["ticker"] = Dummy.Command([.. Enumerable.Range(1, Ticks).SelectMany(i => new[] { $"say:tick {i}", "sleep:100" }), "exit:0"]),
        });

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        File.Delete(ChattyGo);
    }
}

/// <summary>
/// Log resources, subscriptions and log notifications through the official C# MCP client (HTTP), while every request
/// stays stateless: the notification session only adds the stream the notifications go out on.
/// </summary>
public sealed class McpNotificationTests(NotificationGatewayFixture fixture) : IClassFixture<NotificationGatewayFixture>
{
    private const string ListTools = """{"jsonrpc":"2.0","id":2,"method":"tools/list"}""";

    private GatewayUnderTest Gateway => fixture.Gateway;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<McpClient> ConnectAsync(GatewayRole role = GatewayRole.Read) => McpCalls.ConnectAsync(new Uri(Gateway.BaseUrl, "/mcp"), Gateway.Tokens[role]);

    [Fact]
    public async Task LogResource_Subscribed_UpdatedArrivesWhenTheProcessPrintsANewLine()
    {
        await using var mcp = await ConnectAsync();
        var uri = $"brummer://{GatewayUnderTest.Node}/chatty/logs";
        var resources = await mcp.ListResourcesAsync(cancellationToken: Ct);
        Assert.Contains(resources, r => r.Uri == uri && r.MimeType == "text/plain");
        var templates = await mcp.ListResourceTemplatesAsync(cancellationToken: Ct);
        Assert.Contains(templates, t => t.UriTemplate == "brummer://{node}/{name}/logs");
        await ControlAsync("chatty", "run");
        await Eventually.UntilAsync(async () => await ReadAsync(mcp, uri), t => t.Contains("chatty first line", StringComparison.Ordinal), "the first line in the resource");
        // Until the second line, nothing about chatty changes any more: an update now can only come from that line.
        await Eventually.UntilAsync(() => LastLineAsync("chatty"), l => l == "chatty first line", "chatty's last line in the status");

        var updates = new ConcurrentQueue<string>();
        await using var subscription = await mcp.SubscribeToResourceAsync(uri, (update, _) =>
        {
            updates.Enqueue(update.Uri);
            return ValueTask.CompletedTask;
        }, cancellationToken: Ct);
        await File.WriteAllTextAsync(fixture.ChattyGo, "go", Ct);

        await Eventually.UntilAsync(() => updates.Contains(uri), "notifications/resources/updated for chatty's log");
        await Eventually.UntilAsync(async () => await ReadAsync(mcp, uri), t => t.Contains("chatty second line", StringComparison.Ordinal), "the second line in the resource");
        await ControlAsync("chatty", "stop");
    }

    [Fact]
    public async Task LogResource_ProcessPrintsEvery100Ms_UpdatesComeAtMostAboutOncePerSecond()
    {
        await using var mcp = await ConnectAsync();
        var uri = $"brummer://{GatewayUnderTest.Node}/ticker/logs";
        var updates = new ConcurrentQueue<DateTimeOffset>();
        await using var subscription = await mcp.SubscribeToResourceAsync(uri, (_, _) =>
        {
            updates.Enqueue(DateTimeOffset.UtcNow);
            return ValueTask.CompletedTask;
        }, cancellationToken: Ct);
        await using var events = await EventReader.OpenAsync(Gateway, Gateway.Tokens[GatewayRole.Read]);
        await events.UntilAsync(e => e.Type == "reset", "the opening reset");

        await ControlAsync("ticker", "run");
        var done = await events.UntilAsync(e => e.Type == "process" && e.Name == "ticker" && e.Status == "succeeded", "ticker succeeded");
        var changes = events.Seen.Count(e => e.Type == "process" && e.Name == "ticker");
        // The last change is announced too (at the end of its interval at the latest).
        await Eventually.UntilAsync(() => updates.Count >= 2 && DateTimeOffset.UtcNow - updates.Last() > TimeSpan.FromSeconds(2), "the updates to settle");

        // Without pacing, one update per change (tens); with it, one a second of the run plus the trailing one.
        var ran = done.Data.GetProperty("exited_at").GetDateTime() - done.Data.GetProperty("started_at").GetDateTime();
        var paced = Math.Ceiling(ran.TotalSeconds) + 3;
        Assert.True(changes > paced, $"ticker changed only {changes} times in {ran.TotalSeconds:0.0} s: the test cannot tell pacing from quiet");
        Assert.True(updates.Count <= paced, $"{updates.Count} updates for {changes} changes in {ran.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task Logging_ProcessExitsWithAnErrorCode_ErrorMessageArrivesWithoutSettingALevel()
    {
        await using var mcp = await ConnectAsync();
        var messages = Collect(mcp);
        // The stream is opened by the client on its own after initialize; a subscription proves the session is in use.
        await using var subscription = await mcp.SubscribeToResourceAsync($"brummer://{GatewayUnderTest.Node}/crashes/logs", (_, _) => ValueTask.CompletedTask, cancellationToken: Ct);

        await ControlAsync("crashes", "run");

        var failed = await UntilMessageAsync(messages, m => m.Level == LoggingLevel.Error && Text(m).Contains("crashes on node-s failed (exit code 3)", StringComparison.Ordinal), "an error message saying crashes failed");
        Assert.Equal("brummer", failed.Logger);
        Assert.Contains("logs_tail name=crashes", Text(failed), StringComparison.Ordinal);
        Assert.Equal("failed", failed.Data.GetProperty("event").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Logging_ProcessPrintsAnErrorBlock_ErrorMessageSaysWhereToLook()
    {
        await using var mcp = await ConnectAsync();
        var messages = Collect(mcp);
        await mcp.SetLoggingLevelAsync(LoggingLevel.Info, cancellationToken: Ct);

        await ControlAsync("broken", "run");

        var error = await UntilMessageAsync(messages, m => m.Level == LoggingLevel.Error && Text(m).Contains("broken on node-s printed", StringComparison.Ordinal), "an error message about broken's errors");
        Assert.Contains("errors_list name=broken", Text(error), StringComparison.Ordinal);
        await ControlAsync("broken", "stop");
        await UntilMessageAsync(messages, m => m.Level == LoggingLevel.Info && Text(m).Contains("broken on node-s stopped", StringComparison.Ordinal), "an info message saying broken stopped (level info was set)");
    }

    [Fact]
    public async Task LogResource_UnknownUri_IsRefusedWithTheTemplate()
    {
        await using var mcp = await ConnectAsync();

        var read = await Assert.ThrowsAnyAsync<McpException>(() => mcp.ReadResourceAsync("file:///etc/passwd", cancellationToken: Ct).AsTask());
        var subscribe = await Assert.ThrowsAnyAsync<McpException>(() => mcp.SubscribeToResourceAsync($"brummer://{GatewayUnderTest.Node}/nope/logs", cancellationToken: Ct));

        Assert.Contains("brummer://{node}/{name}/logs", read.Message, StringComparison.Ordinal);
        Assert.Contains("resources/list", subscribe.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RawPost_WithoutASession_IsServedAndSubscribeSaysHowToGetOne()
    {
        var token = Gateway.Tokens[GatewayRole.Read];

        using var list = await Gateway.SendAsync(Gateway.McpPost(ListTools, token));
        using var subscribe = await Gateway.SendAsync(Gateway.McpPost(Subscribe("chatty"), token));

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.False(list.Headers.Contains("Mcp-Session-Id"));
        var error = await ErrorMessageAsync(subscribe);
        Assert.Contains("initialize", error, StringComparison.Ordinal);
        Assert.Contains("Mcp-Session-Id", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_RawClientWithItsId_IsServedStatelesslyAndCanSubscribe()
    {
        var token = Gateway.Tokens[GatewayRole.Read];
        var session = await InitializeAsync(token);

        using var list = await Gateway.SendAsync(WithSession(Gateway.McpPost(ListTools, token), session));
        using var poll = await Gateway.SendAsync(WithSession(Gateway.McpPost(GatewayUnderTest.ToolCall("scripts_status", new { }), token), session));
        using var subscribe = await Gateway.SendAsync(WithSession(Gateway.McpPost(Subscribe("chatty"), token), session));

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal(HttpStatusCode.OK, poll.StatusCode);
        Assert.Contains("scripts_status", await list.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Contains("\"result\":{}", await subscribe.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_ThisGatewayDoesNotKnow_AsAfterARestart_IsTakenUpAgain_ButNotOnceItsClientEndedIt()
    {
        // What a client holds after the gateway restarted: an id of the gateway's own making that this process never saw.
        var token = Gateway.Tokens[GatewayRole.Read];
        var fromBeforeTheRestart = System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

        using var call = await Gateway.SendAsync(WithSession(Gateway.McpPost(ListTools, token), fromBeforeTheRestart));
        using var stream = await Gateway.Http.SendAsync(WithSession(StreamRequest(token), fromBeforeTheRestart), HttpCompletionOption.ResponseHeadersRead, Ct);
        using var byAnother = await Gateway.SendAsync(WithSession(Gateway.McpPost(ListTools, Gateway.Tokens[GatewayRole.Admin]), fromBeforeTheRestart));
        using var end = await Gateway.SendAsync(WithSession(Gateway.Request(HttpMethod.Delete, "/mcp", token), fromBeforeTheRestart));
        using var afterItsEnd = await Gateway.SendAsync(WithSession(Gateway.McpPost(ListTools, token), fromBeforeTheRestart));

        Assert.Equal(HttpStatusCode.OK, call.StatusCode);
        Assert.Contains("scripts_status", await call.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(fromBeforeTheRestart, call.Headers.GetValues("Mcp-Session-Id").Single());
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byAnother.StatusCode); // taken up for the token that brought it back
        Assert.Equal(HttpStatusCode.NoContent, end.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, afterItsEnd.StatusCode);
    }

    [Fact]
    public async Task Session_UsedWithAnotherToken_IsUnknown()
    {
        var session = await InitializeAsync(Gateway.Tokens[GatewayRole.Read]);
        var other = Gateway.Tokens[GatewayRole.Admin];

        using var post = await Gateway.SendAsync(WithSession(Gateway.McpPost(ListTools, other), session));
        using var get = await Gateway.SendAsync(WithSession(StreamRequest(other), session));
        using var delete = await Gateway.SendAsync(WithSession(Gateway.Request(HttpMethod.Delete, "/mcp", other), session));
        using var stillThere = await Gateway.SendAsync(WithSession(Gateway.McpPost(ListTools, Gateway.Tokens[GatewayRole.Read]), session));

        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        Assert.Equal(HttpStatusCode.OK, stillThere.StatusCode);
    }

    [Fact]
    public async Task NotificationStream_WithoutTokenOrFromAForeignPage_IsRefused()
    {
        var session = await InitializeAsync(Gateway.Tokens[GatewayRole.Read]);

        using var anonymous = await Gateway.SendAsync(WithSession(StreamRequest(token: null), session));
        using var foreign = await Gateway.SendAsync(WithSession(StreamRequest(Gateway.Tokens[GatewayRole.Read], origin: "https://evil.example"), session));
        using var rebound = await Gateway.SendAsync(WithSession(StreamRequest(Gateway.Tokens[GatewayRole.Read], host: "evil.example"), session));

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, rebound.StatusCode);
    }

    [Fact]
    public async Task Session_Deleted_IsGoneAndItsStreamEnds()
    {
        var token = Gateway.Tokens[GatewayRole.Read];
        var session = await InitializeAsync(token);
        using var stream = await Gateway.Http.SendAsync(WithSession(StreamRequest(token), session), HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
        var body = await stream.Content.ReadAsStreamAsync(Ct);

        using var delete = await Gateway.SendAsync(WithSession(Gateway.Request(HttpMethod.Delete, "/mcp", token), session));
        using var after = await Gateway.SendAsync(WithSession(Gateway.McpPost(ListTools, token), session));

        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
        // The stream ends: reading reaches its end instead of waiting for the next heartbeat forever.
        var rest = await new StreamReader(body).ReadToEndAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Contains("brummer notifications", rest, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TypeScriptSdkClient_Subscribed_IsToldOfUpdatesAndTheFailure()
    {
        var uri = $"brummer://{GatewayUnderTest.Node}/crashes/logs";
        using var node = await NodeClient.StartAsync("notifications.mjs", new Uri(Gateway.BaseUrl, "/mcp").ToString(), Gateway.Tokens[GatewayRole.Read], uri, "crashes");
        var ready = JsonDocument.Parse(await node.ReadLineAsync()).RootElement;
        Assert.True(ready.GetProperty("ready").GetBoolean());

        await ControlAsync("crashes", "run");

        var root = JsonDocument.Parse(await node.ReadLineAsync()).RootElement;
        Assert.True(root.GetProperty("session").GetString() is { Length: >= 20 }, $"no session id: {root}");
        Assert.Contains(uri, root.GetProperty("resources").EnumerateArray().Select(r => r.GetString()));
        Assert.Contains(uri, root.GetProperty("updates").EnumerateArray().Select(u => u.GetString()));
        var failed = root.GetProperty("messages").EnumerateArray().First(m => m.GetProperty("level").GetString() == "error");
        Assert.StartsWith("crashes on node-s failed (exit code 3)", failed.GetProperty("data").GetProperty("message").GetString(), StringComparison.Ordinal);
        await node.WaitForExitAsync();
        // terminateSession: the session is gone.
        using var after = await Gateway.SendAsync(WithSession(Gateway.McpPost(ListTools, Gateway.Tokens[GatewayRole.Read]), root.GetProperty("session").GetString()!));
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
    }

    private static ConcurrentQueue<LoggingMessageNotificationParams> Collect(McpClient mcp)
    {
        var messages = new ConcurrentQueue<LoggingMessageNotificationParams>();
        mcp.RegisterNotificationHandler(NotificationMethods.LoggingMessageNotification, (notification, _) =>
        {
            if (notification.Params?.Deserialize<LoggingMessageNotificationParams>(McpJsonUtilities.DefaultOptions) is { } message)
            {
                messages.Enqueue(message);
            }

            return ValueTask.CompletedTask;
        });
        return messages;
    }

    private static async Task<LoggingMessageNotificationParams> UntilMessageAsync(ConcurrentQueue<LoggingMessageNotificationParams> messages, Func<LoggingMessageNotificationParams, bool> match, string what)
    {
        LoggingMessageNotificationParams? found = null;
        await Eventually.UntilAsync(() => (found = messages.FirstOrDefault(match)) is not null, what);
        return found!;
    }

    [Fact]
    public async Task Stream_TokenRevokedWhileItIsOpen_TheStreamEnds()
    {
        var token = await Gateway.CreateTokenAsync("stream-watcher", GatewayRole.Read);
        var session = await InitializeAsync(token);
        using var stream = await Gateway.Http.SendAsync(WithSession(StreamRequest(token), session), HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        var body = await stream.Content.ReadAsStreamAsync(Ct);
        var read = Task.Run(async () =>
        {
            using var reader = new StreamReader(body);
            while (await reader.ReadLineAsync(Ct) is not null)
            {
            }
        }, Ct);

        Assert.True(TokenFile.Revoke(Gateway.TokenFile!, "stream-watcher"));

        // Each crash of `crashes` is an error message every session gets; the revoked token's stream must end instead.
        await Eventually.UntilAsync(
            async () =>
            {
                using var run = await Gateway.SendAsync(Gateway.Request(HttpMethod.Post, "/api/processes/crashes/run", Gateway.Tokens[GatewayRole.Operate]));
                Assert.True(run.IsSuccessStatusCode, $"run crashes: {(int)run.StatusCode}");
                return read.IsCompleted;
            },
            ended => ended,
            "the revoked token's notification stream to end");
        using var again = await Gateway.SendAsync(WithSession(StreamRequest(token), session));
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
    }

    private static string Text(LoggingMessageNotificationParams message) => message.Data.GetProperty("message").GetString() ?? string.Empty;

    private static string Subscribe(string name) =>
        $$$"""{"jsonrpc":"2.0","id":3,"method":"resources/subscribe","params":{"uri":"brummer://{{{GatewayUnderTest.Node}}}/{{{name}}}/logs"}}""";

    /// <summary>The initialize handshake, raw: returns the session id the gateway answered with.</summary>
    private async Task<string> InitializeAsync(string token)
    {
        const string initialize = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}""";
        using var response = await Gateway.SendAsync(Gateway.McpPost(initialize, token));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.TryGetValues("Mcp-Session-Id", out var ids), "initialize answered without an Mcp-Session-Id");
        var id = Assert.Single(ids);
        Assert.True(id.Length >= 20, $"session id '{id}' is too short to be unguessable");
        return id;
    }

    private HttpRequestMessage StreamRequest(string? token, string? origin = null, string? host = null)
    {
        var request = Gateway.Request(HttpMethod.Get, "/mcp", token, origin, host);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        return request;
    }

    private static HttpRequestMessage WithSession(HttpRequestMessage request, string session)
    {
        request.Headers.Add("Mcp-Session-Id", session);
        return request;
    }

    private static async Task<string> ErrorMessageAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        var json = text.StartsWith("event:", StringComparison.Ordinal) || text.Contains("\ndata: ", StringComparison.Ordinal)
            ? text.Split('\n').First(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..]
            : text;
        return JsonDocument.Parse(json).RootElement.GetProperty("error").GetProperty("message").GetString() ?? string.Empty;
    }

    private static async Task<string> ReadAsync(McpClient mcp, string uri)
    {
        var result = await mcp.ReadResourceAsync(uri, cancellationToken: Ct);
        return string.Join('\n', result.Contents.OfType<TextResourceContents>().Select(c => c.Text));
    }

    private async Task<string?> LastLineAsync(string name)
    {
        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Get, $"/api/processes?name={name}", Gateway.Tokens[GatewayRole.Read]));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        return body.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("last_line").GetString()).SingleOrDefault();
    }

    private async Task ControlAsync(string name, string action)
    {
        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Post, $"/api/processes/{name}/{action}", Gateway.Tokens[GatewayRole.Operate]));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{action} {name}: {(int)response.StatusCode}");
    }
}
