using Brummer.Gateway.Services;
using Brummer.Gateway.Status;
using Brummer.Gateway.Traffic;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Brummer.Gateway.Events;

/// <summary>
/// Each script's output on each node as an MCP resource, <c>brummer://{node}/{name}/logs</c> (both parts
/// percent-escaped): listed from the gateway's cache, read as the last lines (the same tail as logs_tail), and
/// subscribable (<see cref="NotificationSessions"/> sends <c>notifications/resources/updated</c> when new lines arrive).
/// </summary>
internal static class LogResources
{
    public const string Scheme = "brummer";
    public const string Template = "brummer://{node}/{name}/logs";
    public const int TailLines = 200;

    public static string UriOf(string node, string name) => $"{Scheme}://{Uri.EscapeDataString(node)}/{Uri.EscapeDataString(name)}/logs";

    /// <summary>The node and script a log resource names; false for any other URI.</summary>
    public static bool TryParse(string? uri, out string node, out string name)
    {
        node = name = string.Empty;
        const string prefix = Scheme + "://";
        if (uri is null || !uri.StartsWith(prefix, StringComparison.Ordinal) || !uri.EndsWith("/logs", StringComparison.Ordinal))
        {
            return false;
        }

        var parts = uri[prefix.Length..^"/logs".Length].Split('/');
        if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            return false;
        }

        node = Uri.UnescapeDataString(parts[0]);
        name = Uri.UnescapeDataString(parts[1]);
        return true;
    }

    public static ValueTask<ListResourcesResult> ListAsync(RequestContext<ListResourcesRequestParams> request, CancellationToken cancellationToken)
    {
        var cache = request.Services!.GetRequiredService<ClusterStatusCache>();
        var resources = cache.Current.Nodes
            .SelectMany(n => n.ScriptList)
            .Select(s => new Resource
            {
                Uri = UriOf(s.Node, s.Name),
                Name = $"{s.Node}/{s.Name} logs",
                Description = $"The last {TailLines} lines script '{s.Name}' printed on node '{s.Node}' (stdout and stderr, oldest first). Subscribe to be told when new lines arrive.",
                MimeType = "text/plain",
            })
            .ToList();
        return ValueTask.FromResult(new ListResourcesResult { Resources = resources });
    }

    public static ValueTask<ListResourceTemplatesResult> ListTemplatesAsync(RequestContext<ListResourceTemplatesRequestParams> request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new ListResourceTemplatesResult
        {
            ResourceTemplates =
            [
                new ResourceTemplate
                {
                    UriTemplate = Template,
                    Name = "Process logs",
                    Description = $"The last {TailLines} lines a script printed on a node (names percent-escaped, e.g. brummer://node-a/%40shop%2Fweb%3Adev/logs).",
                    MimeType = "text/plain",
                },
            ],
        });

    public static async ValueTask<ReadResourceResult> ReadAsync(RequestContext<ReadResourceRequestParams> request, CancellationToken cancellationToken)
    {
        var uri = request.Params?.Uri;
        if (!TryParse(uri, out var node, out var name))
        {
            throw new McpException($"Unknown resource {InputText.Quote(uri)}: log resources are {Template}; resources/list has every one.");
        }

        var logs = request.Services!.GetRequiredService<LogsService>();
        string text;
        try
        {
            var tail = await logs.TailAsync(name, node, TailLines, null, cancellationToken);
            text = string.Join('\n', tail.Lines.Select(l => l.Text));
        }
        catch (GatewayException ex)
        {
            throw new McpException(ex.Message);
        }

        return new ReadResourceResult
        {
            Contents = [new TextResourceContents { Uri = uri!, MimeType = "text/plain", Text = text }],
        };
    }

    public static ValueTask<EmptyResult> SubscribeAsync(RequestContext<SubscribeRequestParams> request, CancellationToken cancellationToken)
    {
        request.Services!.GetRequiredService<NotificationSessions>().Subscribe(SessionOf(request, "resources/subscribe"), request.Params?.Uri);
        return ValueTask.FromResult(new EmptyResult());
    }

    public static ValueTask<EmptyResult> UnsubscribeAsync(RequestContext<UnsubscribeRequestParams> request, CancellationToken cancellationToken)
    {
        if (request.Params?.Uri is { } uri)
        {
            SessionOf(request, "resources/unsubscribe").Resources.TryRemove(uri, out _);
        }

        return ValueTask.FromResult(new EmptyResult());
    }

#pragma warning disable MCP9005 // Logging is deprecated from MCP 2026-07-28 on; initialize-handshake clients (the ones with sessions) still use it.
    public static ValueTask<EmptyResult> SetLevelAsync(RequestContext<SetLevelRequestParams> request, CancellationToken cancellationToken)
    {
        SessionOf(request, "logging/setLevel").Level = request.Params?.Level ?? LoggingLevel.Warning;
        return ValueTask.FromResult(new EmptyResult());
    }
#pragma warning restore MCP9005

    /// <summary>The notification session the request came with (see <see cref="McpSessionEndpoint"/>); a clear refusal without one.</summary>
    private static NotificationSession SessionOf<TParams>(RequestContext<TParams> request, string method) =>
        McpSessionEndpoint.SessionOf(request.Services?.GetService<IHttpContextAccessor>()?.HttpContext)
        ?? throw new McpException(
            $"{method} needs a notification session: send initialize first (protocol 2025-11-25 or earlier) and then the " +
            $"{McpSessionEndpoint.Header} header its answer carries; notifications arrive on GET /mcp with that header. " +
            "Without a session, follow changes with the wait_for tool or GET /api/events.");
}
