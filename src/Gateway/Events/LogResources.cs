using Brummer.Gateway.Services;
using Brummer.Gateway.Status;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Brummer.Gateway.Events;

/// <summary>
/// Each script's output on each node as an MCP resource, <c>brummer://{node}/{name}/logs</c> (both parts
/// percent-escaped): listed from the gateway's cache, read as the last lines (the same tail as logs_tail), and
/// subscribable (<see cref="McpSessions"/> sends <c>notifications/resources/updated</c> when new lines arrive).
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
        var cache = request.Services!.GetService(typeof(ClusterStatusCache)) as ClusterStatusCache ?? throw new InvalidOperationException("No status cache.");
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

        var logs = request.Services!.GetService(typeof(LogsService)) as LogsService ?? throw new InvalidOperationException("No logs service.");
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
}
