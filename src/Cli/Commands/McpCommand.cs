using System.CommandLine;
using Brummer.Cli.Mcp;
using Brummer.Client;
using Microsoft.Extensions.Logging;

namespace Brummer.Cli.Commands;

/// <summary><c>brummer mcp</c> (a stdio MCP server forwarding to a gateway) and <c>brummer mcp install</c>.</summary>
internal static class McpCommand
{
    public static Command Create(GatewayAccess gateway)
    {
        var verbose = new Option<bool>("--verbose") { Description = "Log the MCP traffic to stderr (stdout carries only MCP messages)." };
        var command = new Command(
            "mcp",
            "Serves MCP on stdin/stdout for clients that start local servers (Claude Desktop, Claude Code, Cursor, VS Code): the " +
            "same tools as the gateway's /mcp, forwarded to it with --token / BRUMMER_TOKEN. Starts even when no gateway " +
            "runs yet; each call then says how to start one. Exits when stdin closes. `brummer mcp install` writes a client's config.")
        {
            verbose,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var logs = parse.GetValue(verbose)
                ? LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace))
                : null;
            await McpStdioProxy.RunAsync(McpEndpoint(parse.GetValue(gateway.Gateway)!), parse.GetValue(gateway.Token), logs, ct);
            return 0;
        });
        command.Subcommands.Add(McpInstallCommand.Create(gateway));
        return command;
    }

    /// <summary>The gateway's MCP endpoint: its <c>/mcp</c>, unless the URL given already is one.</summary>
    public static Uri McpEndpoint(Uri gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        if (gateway.AbsolutePath.TrimEnd('/').EndsWith("/mcp", StringComparison.Ordinal))
        {
            return gateway;
        }

        return new Uri(GatewayEndpoint.AsBase(gateway), "mcp");
    }
}
