using System.Collections.Frozen;
using System.Reflection;
using Brummer.Gateway.Security;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Brummer.Gateway.Tools;

/// <summary>
/// Each tool's least role (<see cref="RequiresRoleAttribute"/>, else read): tools/list shows a caller only the tools its
/// token may use, and a call to any other is a tool error naming the role it needs.
/// </summary>
internal sealed class ToolAccess
{
    private readonly FrozenDictionary<string, GatewayRole> _needs;

    public ToolAccess(IEnumerable<Type> toolTypes)
    {
        _needs = ToolMethods.Of(toolTypes).ToFrozenDictionary(
            m => m.Name,
            m => m.Method.GetCustomAttribute<RequiresRoleAttribute>()?.Role ?? GatewayRole.Read,
            StringComparer.Ordinal);
    }

    public GatewayRole Needs(string tool) => _needs.GetValueOrDefault(tool, GatewayRole.Read);

    public McpRequestHandler<ListToolsRequestParams, ListToolsResult> FilterList(McpRequestHandler<ListToolsRequestParams, ListToolsResult> next) =>
        async (context, cancellationToken) =>
        {
            var result = await next(context, cancellationToken);
            var role = GatewayRoles.RoleOf(context.User);
            if (result.Tools.Any(t => Needs(t.Name) > role))
            {
                result.Tools = [.. result.Tools.Where(t => Needs(t.Name) <= role)];
            }

            return result;
        };

    public McpRequestHandler<CallToolRequestParams, CallToolResult> GuardCall(McpRequestHandler<CallToolRequestParams, CallToolResult> next) =>
        (context, cancellationToken) =>
        {
            var tool = context.Params?.Name ?? string.Empty;
            var needs = Needs(tool);
            var role = GatewayRoles.RoleOf(context.User);
            if (needs > role)
            {
                throw new GatewayException(
                    GatewayErrorKind.BadRequest,
                    $"{tool} needs the {needs.ToWireName()} role; this token ('{GatewayRoles.NameOf(context.User)}') has {(role == 0 ? "none" : role.ToWireName())}. " +
                    $"An admin can make one with: brummer token create NAME --role {needs.ToWireName()}");
            }

            return next(context, cancellationToken);
        };
}
