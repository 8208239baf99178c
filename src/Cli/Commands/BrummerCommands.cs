using System.CommandLine;

namespace Brummer.Cli.Commands;

/// <summary>The <c>brummer</c> command line: hosting verbs (up) and client verbs against a gateway.</summary>
public static class BrummerCommands
{
    /// <summary>
    /// No response files: an argument starting with '@' is a name (a workspace package's script, <c>@shop/web:dev</c>),
    /// never a file of more arguments to read.
    /// </summary>
    public static ParseResult Parse(IReadOnlyList<string> args) =>
        Build().Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });

    public static RootCommand Build()
    {
        var gateway = new GatewayAccess();

        var root = new RootCommand(
            """
            Brummer runs your dev scripts (package.json scripts, or a stack of commands in a brummer.yaml: env,
            dependency order across machines, readiness probes, restarts) on one machine or many, and lets you and AI
            agents see and control all of them from one place: MCP at http://127.0.0.1:7777/mcp, a JSON API, this CLI.

            One machine:  brummer up --dir path/to/project
            Many:         brummer node --name a --dir path --cluster redis://host:6379   (on each machine)
                          brummer gateway --cluster redis://host:6379                    (anywhere)
            Then:         brummer status | brummer run NAME [--node N] | brummer stop NAME
            """);
        root.Options.Add(gateway.Gateway);
        root.Options.Add(gateway.Token);
        root.Subcommands.Add(UpCommand.Create());
        root.Subcommands.Add(NodeCommand.Create());
        root.Subcommands.Add(GatewayCommand.Create());
        root.Subcommands.Add(TokenCommand.Create());
        root.Subcommands.Add(CertCommand.Create());
        root.Subcommands.Add(McpCommand.Create(gateway));
        root.Subcommands.Add(UiCommand.Create(gateway));
        foreach (var command in ClientCommands.Create(gateway))
        {
            root.Subcommands.Add(command);
        }

        root.Subcommands.Add(CompletionCommand.Create(root));
        return root;
    }
}
