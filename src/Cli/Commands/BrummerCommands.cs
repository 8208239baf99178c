using System.CommandLine;

namespace Brummer.Cli.Commands;

/// <summary>The <c>brummer</c> command line: hosting verbs (up) and client verbs against a gateway.</summary>
public static class BrummerCommands
{
    public static RootCommand Build()
    {
        var gateway = new Option<Uri>("--gateway")
        {
            Description = "Gateway to talk to (client verbs).",
            DefaultValueFactory = _ => new Uri("http://127.0.0.1:7777"),
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
                if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
                {
                    return uri;
                }

                result.AddError($"--gateway '{text}' is not an http(s) URL, e.g. http://127.0.0.1:7777.");
                return null;
            },
            Recursive = true,
        };

        var root = new RootCommand(
            """
            Brummer runs your dev scripts (package.json scripts) on one machine or many, and lets you and AI agents
            see and control all of them from one place: MCP at http://127.0.0.1:7777/mcp, a JSON API, and this CLI.

            One machine:  brummer up --dir path/to/project
            Many:         brummer node --name a --dir path --cluster redis://host:6379   (on each machine)
                          brummer gateway --cluster redis://host:6379                    (anywhere)
            Then:         brummer status | brummer run NAME [--node N] | brummer stop NAME
            """);
        root.Options.Add(gateway);
        root.Subcommands.Add(UpCommand.Create());
        root.Subcommands.Add(NodeCommand.Create());
        root.Subcommands.Add(GatewayCommand.Create());
        root.Subcommands.Add(CertCommand.Create());
        foreach (var command in ClientCommands.Create(gateway))
        {
            root.Subcommands.Add(command);
        }

        return root;
    }
}
