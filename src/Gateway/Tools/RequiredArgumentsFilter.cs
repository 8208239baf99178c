using System.Text.Json;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Brummer.Gateway.Tools;

/// <summary>
/// Answers a call that omits a required argument with a tool error naming it and saying what it is, instead of the
/// SDK's generic "An error occurred invoking" — agents correct themselves from the message.
/// </summary>
internal static class RequiredArgumentsFilter
{
    public static McpRequestHandler<CallToolRequestParams, CallToolResult> Wrap(McpRequestHandler<CallToolRequestParams, CallToolResult> next) =>
        async (context, cancellationToken) =>
        {
            if (context.MatchedPrimitive is McpServerTool tool && Missing(tool.ProtocolTool, context.Params?.Arguments) is { } missing)
            {
                return new CallToolResult
                {
                    IsError = true,
                    Content = [new TextContentBlock { Text = missing }],
                };
            }

            return await next(context, cancellationToken);
        };

    private static string? Missing(Tool tool, IDictionary<string, JsonElement>? arguments)
    {
        if (!tool.InputSchema.TryGetProperty("required", out var required))
        {
            return null;
        }

        foreach (var name in required.EnumerateArray().Select(e => e.GetString()!))
        {
            if (arguments is null || !arguments.TryGetValue(name, out var value) || value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined ||
                (value.ValueKind == JsonValueKind.String && string.IsNullOrWhiteSpace(value.GetString())))
            {
                var description = tool.InputSchema.TryGetProperty("properties", out var properties) &&
                                  properties.TryGetProperty(name, out var property) &&
                                  property.TryGetProperty("description", out var text)
                    ? $" ({text.GetString()})"
                    : string.Empty;
                return $"Missing required argument '{name}'{description} for {tool.Name}.";
            }
        }

        return null;
    }
}
