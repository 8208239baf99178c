using System.Collections.Concurrent;
using System.Net;
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

/// <summary>Log resources, their subscriptions and log notifications, through the official C# MCP client.</summary>
public sealed class McpNotificationTests(EventsGatewayFixture fixture) : IClassFixture<EventsGatewayFixture>
{
    private GatewayUnderTest Gateway => fixture.Gateway;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<McpClient> ConnectAsync() => McpCalls.ConnectAsync(new Uri(Gateway.BaseUrl, "/mcp"), Gateway.Tokens[GatewayRole.Read]);

    [Fact]
    public async Task LogResource_Subscribed_UpdatedArrivesWhenTheProcessPrintsANewLine()
    {
        await using var mcp = await ConnectAsync();
        var uri = $"brummer://{GatewayUnderTest.Node}/chatty/logs";
        var resources = await mcp.ListResourcesAsync(cancellationToken: Ct);
        Assert.Contains(resources, r => r.Uri == uri && r.MimeType == "text/plain");
        await RunAsync("chatty");
        await Eventually.UntilAsync(async () => await ReadAsync(mcp, uri), t => t.Contains("chatty first line", StringComparison.Ordinal), "the first line in the resource");
        // Until the second line, nothing about chatty changes any more: an update now can only come from that line.
        await Eventually.UntilAsync(LastLineAsync, l => l == "chatty first line", "chatty's last line in the status");

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
    public async Task Logging_SessionThatSetALevel_IsToldWhenAProcessFails()
    {
        await using var mcp = await ConnectAsync();
        var messages = new ConcurrentQueue<LoggingMessageNotificationParams>();
        await using var handler = mcp.RegisterNotificationHandler(NotificationMethods.LoggingMessageNotification, (notification, _) =>
        {
            if (notification.Params?.Deserialize<LoggingMessageNotificationParams>(McpJsonUtilities.DefaultOptions) is { } message)
            {
                messages.Enqueue(message);
            }

            return ValueTask.CompletedTask;
        });
        await mcp.SetLoggingLevelAsync(LoggingLevel.Info, cancellationToken: Ct);

        await RunAsync("crashes");

        await Eventually.UntilAsync(() => messages.Any(m => m.Level == LoggingLevel.Error && m.Data.ToString().Contains("crashes on node-s failed", StringComparison.Ordinal)), "an error message saying crashes failed");
    }

    [Fact]
    public async Task LogResource_UnknownUri_IsRefusedWithTheTemplate()
    {
        await using var mcp = await ConnectAsync();

        var error = await Assert.ThrowsAnyAsync<McpException>(() => mcp.ReadResourceAsync("file:///etc/passwd", cancellationToken: Ct).AsTask());

        Assert.Contains("brummer://{node}/{name}/logs", error.Message, StringComparison.Ordinal);
    }

    private static async Task<string> ReadAsync(McpClient mcp, string uri)
    {
        var result = await mcp.ReadResourceAsync(uri, cancellationToken: Ct);
        return string.Join('\n', result.Contents.OfType<TextResourceContents>().Select(c => c.Text));
    }

    private async Task<string?> LastLineAsync()
    {
        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Get, "/api/processes?name=chatty", Gateway.Tokens[GatewayRole.Read]));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        return body.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("last_line").GetString()).SingleOrDefault();
    }

    private async Task RunAsync(string name) => await ControlAsync(name, "run");

    private async Task ControlAsync(string name, string action)
    {
        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Post, $"/api/processes/{name}/{action}", Gateway.Tokens[GatewayRole.Operate]));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{action} {name}: {(int)response.StatusCode}");
    }
}
