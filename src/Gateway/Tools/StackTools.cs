using System.ComponentModel;
using Brummer.Gateway.Contracts;
using Brummer.Gateway.Security;
using Brummer.Gateway.Services;
using ModelContextProtocol.Server;

namespace Brummer.Gateway.Tools;

/// <summary>MCP tools that act on the stack definitions: operate role; a read-only gateway has none of them.</summary>
[McpServerToolType]
public sealed class StackTools(StackService stack)
{
    [McpServerTool(Name = "stack_reload", UseStructuredContent = true), RequiresRole(GatewayRole.Operate)]
    [Description("Re-reads brummer.yaml and package.json on one node or all: new processes appear (and start if they autostart), removed ones are stopped, changed running ones restart (except claimed ones: listed in held, they keep running and take the new definition at their next start). A file that does not parse changes nothing; its error (file:line:column) is in the answer and in nodes_list. Files are also watched, so this is for when you want the answer.")]
    public Task<StackReloadResult> Reload(
        [Description("Reload only this node; all reachable nodes when omitted.")] string? node = null,
        CancellationToken cancellationToken = default) =>
        stack.ReloadAsync(node, cancellationToken);
}
