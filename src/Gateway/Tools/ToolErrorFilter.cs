using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Brummer.Gateway.Tools;

/// <summary>
/// Turns a refused request (<see cref="GatewayException"/>) into the tool error the agent reads — its message, nothing
/// else — and logs it as one information line: a caller's mistake is not the gateway's error, and the SDK's own
/// handling would log it at error level with a stack trace and prefix the message.
/// </summary>
internal static class ToolErrorFilter
{
    public static McpRequestHandler<CallToolRequestParams, CallToolResult> Wrap(McpRequestHandler<CallToolRequestParams, CallToolResult> next) =>
        async (context, cancellationToken) =>
        {
            try
            {
                return await next(context, cancellationToken);
            }
            catch (GatewayException ex)
            {
                context.Services?.GetService<ILoggerFactory>()?.CreateLogger(typeof(ToolErrorFilter))
                    .LogInformation("{Tool} refused ({Kind}): {Reason}", context.Params?.Name, ex.Kind, ex.Message);
                return Error(ex.Message);
            }
        };

    public static CallToolResult Error(string message) => new()
    {
        IsError = true,
        Content = [new TextContentBlock { Text = message }],
    };
}
