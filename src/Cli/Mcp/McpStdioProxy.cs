using System.Net;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Brummer.Cli.Mcp;

/// <summary>
/// <c>brummer mcp</c>: an MCP server on stdin/stdout for clients that only start local servers (Claude Desktop and
/// others), passing tools/list and tools/call to a gateway's <c>/mcp</c> unchanged, so the tools, their descriptions,
/// roles and errors have one owner: the gateway. Progress notifications of a call are passed back to the caller.
/// </summary>
internal static class McpStdioProxy
{
    /// <summary>How the SDK's client (2.4.0) words a JSON-RPC error the server sent.</summary>
    private const string RemotePrefix = "Request failed (remote): ";

    /// <summary>Serves until stdin closes.</summary>
    public static async Task RunAsync(Uri endpoint, string? token, ILoggerFactory? loggerFactory, CancellationToken cancellationToken)
    {
        McpServer? server = null;
        await using var gateway = new GatewayMcpConnection(
            endpoint,
            token,
            async (notification, ct) =>
            {
                // The caller's own progress token went to the gateway with the call, so the notification needs no mapping.
                if (server is not null)
                {
                    await server.SendMessageAsync(new JsonRpcNotification { Method = notification.Method, Params = notification.Params }, ct);
                }
            },
            loggerFactory,
            actor: () => server?.ClientInfo?.Name);

        var options = new McpServerOptions
        {
            ServerInfo = new Implementation { Name = "brummer", Version = typeof(McpStdioProxy).Assembly.GetName().Version?.ToString() ?? "0.0.0" },
            // The list depends on the gateway (read-only gateways and read tokens see fewer tools) and on whether one
            // is reachable yet: clients are told to list again once it is.
            Capabilities = new ServerCapabilities { Tools = new ToolsCapability { ListChanged = true } },
            Handlers = new McpServerHandlers
            {
                ListToolsHandler = async (request, ct) =>
                {
                    try
                    {
                        return await ForwardAsync(gateway, request.Server, (client, c) => client.ListToolsAsync(request.Params ?? new(), c).AsTask(), retry: _ => true, ct);
                    }
                    catch (GatewayUnreachableException ex)
                    {
                        throw new McpProtocolException(ex.Message, McpErrorCode.InternalError);
                    }
                },
                CallToolHandler = async (request, ct) =>
                {
                    try
                    {
                        // A call is sent again only when the gateway cannot have run it: a restarted gateway does not
                        // know the old session and refuses it with 404 before looking at the call.
                        return await ForwardAsync(
                            gateway,
                            request.Server,
                            (client, c) => client.CallToolAsync(request.Params!, c).AsTask(),
                            retry: ex => ex is HttpRequestException { StatusCode: HttpStatusCode.NotFound },
                            ct);
                    }
                    catch (GatewayUnreachableException ex)
                    {
                        return new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = ex.Message }] };
                    }
                },
            },
        };

        await using var transport = new StdioServerTransport(options, loggerFactory);
        await using var created = McpServer.Create(transport, options, loggerFactory);
        server = created;
        await created.RunAsync(cancellationToken);
    }

    /// <summary>
    /// Sends one request to the gateway. A gateway's JSON-RPC error (<see cref="McpProtocolException"/>) goes back to
    /// the caller as it is; a broken session is dropped, tried once more when <paramref name="retry"/> allows, and
    /// otherwise reported as <see cref="GatewayUnreachableException"/>.
    /// </summary>
    private static async Task<T> ForwardAsync<T>(
        GatewayMcpConnection gateway,
        McpServer server,
        Func<McpClient, CancellationToken, Task<T>> send,
        Func<Exception, bool> retry,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var wasUnreachable = gateway.LastAttemptFailed;
            var client = await gateway.GetAsync(cancellationToken);
            if (wasUnreachable)
            {
                // What the client listed while no gateway answered is stale now.
                await server.SendNotificationAsync(NotificationMethods.ToolListChangedNotification, cancellationToken);
            }

            try
            {
                return await send(client, cancellationToken);
            }
            catch (McpProtocolException ex)
            {
                // The client prefixes the gateway's message; the caller should read the gateway's own words.
                var message = ex.Message.StartsWith(RemotePrefix, StringComparison.Ordinal) ? ex.Message[RemotePrefix.Length..] : ex.Message;
                throw new McpProtocolException(message, ex.ErrorCode);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                var expired = await SessionExpiredAsync(client);
                await gateway.DropAsync(client);
                if (attempt == 1 && (expired || retry(Innermost<HttpRequestException>(ex) ?? ex)))
                {
                    continue;
                }

                throw new GatewayUnreachableException(gateway.Describe(ex), ex);
            }
        }
    }

    /// <summary>
    /// Whether the gateway refused the session as unknown (it restarted): the client then closes with a 404, and the
    /// call that failed meanwhile (cancelled with it, or refused with the 404) cannot have run on the new gateway.
    /// The client closes just after the failure surfaces, so it is given a moment.
    /// </summary>
    private static async Task<bool> SessionExpiredAsync(McpClient client)
    {
        var completion = client.Completion;
        await Task.WhenAny(completion, Task.Delay(TimeSpan.FromSeconds(2)));
        return completion.IsCompletedSuccessfully && completion.Result is HttpClientCompletionDetails { HttpStatusCode: HttpStatusCode.NotFound };
    }

    private static Exception? Innermost<T>(Exception? ex)
        where T : Exception
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is T)
            {
                return ex;
            }
        }

        return null;
    }
}
