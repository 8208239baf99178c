using System.ComponentModel;
using Brummer.Gateway.Contracts;
using Brummer.Gateway.Services;
using ModelContextProtocol.Server;

namespace Brummer.Gateway.Tools;

[McpServerToolType]
public sealed class NodeTools(ScriptsService scripts)
{
    [McpServerTool(Name = "nodes_list", ReadOnly = true, UseStructuredContent = true)]
    [Description("Lists the nodes (machines) of the cluster with their address, status (up, unresponsive, left or lost) and how many processes are in each status, and whether the cluster's membership store is healthy. Use node names from here in the other tools.")]
    public NodesResult List() => scripts.Nodes();
}
