using System.CommandLine;
using Brummer.Cli.Mcp;

namespace Brummer.Cli.Commands;

/// <summary><c>brummer mcp install --client ...</c>: adds Brummer to an MCP client's config file.</summary>
internal static class McpInstallCommand
{
    public static Command Create(GatewayAccess gateway)
    {
        var client = new Option<string>("--client")
        {
            Description = "The MCP client to configure: claude-code, claude-desktop, cursor or vscode.",
            Required = true,
        };
        client.AcceptOnlyFromAmong([.. McpClientConfig.Clients]);
        var scope = new Option<string?>("--scope")
        {
            Description = "project: the file in this directory (.mcp.json, .cursor/mcp.json, .vscode/mcp.json), to share with the " +
                "team; user: your own file for every project. Default: project, except Claude Desktop (user only).",
        };
        scope.AcceptOnlyFromAmong("project", "user");
        var stdio = new Option<bool>("--stdio")
        {
            Description = "Make the client start `brummer mcp` (stdio) even where it can reach the gateway's URL over HTTP itself.",
        };
        var command = new Command(
            "install",
            "Adds Brummer to an MCP client's config, keeping every other server and setting in the file (a file that is not " +
            "valid JSON is left alone). Claude Code, Cursor and VS Code get the gateway's /mcp URL (they speak streamable " +
            "HTTP); Claude Desktop gets `brummer mcp`. Running it again changes nothing.")
        {
            client, scope, stdio,
        };
        command.SetAction(parse =>
        {
            var url = parse.GetValue(gateway.Gateway)!;
            try
            {
                var config = McpClientConfig.For(
                    parse.GetValue(client)!, parse.GetValue(scope), url, McpCommand.McpEndpoint(url), parse.GetValue(stdio), Launch(), UserPlaces.Current());
                var change = McpConfigFile.Install(config);
                var where = $"{config.Path} ({config.Client}, {config.Scope} scope)";
                Console.WriteLine(change switch
                {
                    McpConfigChange.Unchanged => $"MCP server '{McpClientConfig.ServerName}' is already in {where}; nothing changed.",
                    McpConfigChange.Created => $"Created {where} with MCP server '{McpClientConfig.ServerName}':",
                    McpConfigChange.Added => $"Added MCP server '{McpClientConfig.ServerName}' to {where}:",
                    _ => $"Updated MCP server '{McpClientConfig.ServerName}' in {where}:",
                });
                if (change is not McpConfigChange.Unchanged)
                {
                    Console.WriteLine($"  \"{McpClientConfig.ServerName}\": {McpConfigFile.Describe(config.Entry).ReplaceLineEndings(Environment.NewLine + "  ")}");
                }

                Console.WriteLine(config.NextStep);
                if (parse.GetValue(gateway.Token) is { Length: > 0 })
                {
                    CommandOutput.Warn("the token was not written to the file (it would be readable there); see README, \"Use from Claude Desktop / Claude Code / Cursor / VS Code\", for gateways with tokens.");
                }

                return 0;
            }
            catch (McpConfigRefusedException ex)
            {
                return CommandOutput.Fail(ex.Message);
            }
        });
        return command;
    }

    /// <summary>How to start this very brummer again: its tool shim or apphost, or <c>dotnet brummer.dll</c>.</summary>
    private static string[] Launch()
    {
        var process = Environment.ProcessPath ?? "brummer";
        return Path.GetFileNameWithoutExtension(process) is "dotnet"
            ? [process, typeof(McpInstallCommand).Assembly.Location]
            : [process];
    }
}
