using System.CommandLine;
using System.Text;

namespace Brummer.Cli.Commands;

/// <summary>
/// <c>brummer completion bash|zsh|fish</c>: a shell completion script for the verbs and their options, written from the
/// same command tree the program parses with, so a new verb or option is completed without touching this file.
/// </summary>
internal static class CompletionCommand
{
    public static Command Create(RootCommand root)
    {
        var shell = new Argument<string>("SHELL") { Description = "bash, zsh or fish." };
        shell.AcceptOnlyFromAmong("bash", "zsh", "fish");
        var command = new Command(
            "completion",
            """
            Prints a completion script for your shell. Load it from your shell's startup file:
              bash: eval "$(brummer completion bash)"          (in ~/.bashrc)
              zsh:  eval "$(brummer completion zsh)"           (in ~/.zshrc)
              fish: brummer completion fish | source           (in ~/.config/fish/config.fish)
            """)
        {
            shell,
        };
        command.SetAction(parse =>
        {
            Console.Write(parse.GetValue(shell) switch
            {
                "fish" => Fish(root),
                "zsh" => "# brummer completion for zsh (bash's script through bashcompinit)\nautoload -U +X bashcompinit && bashcompinit\n" + Bash(root),
                _ => Bash(root),
            });
            return 0;
        });
        return command;
    }

    private static IEnumerable<Command> Verbs(Command command) => command.Subcommands.Where(c => !c.Hidden);

    /// <summary>Every verb and sub-verb with its path ("token create"), the path before it ("" or "token") and its name.</summary>
    private static IEnumerable<(string Path, string Parent, string Name, Command Command)> VerbPaths(Command root) =>
        Verbs(root).SelectMany(verb => Verbs(verb)
            .Select(sub => ($"{verb.Name} {sub.Name}", verb.Name, sub.Name, sub))
            .Prepend((verb.Name, string.Empty, verb.Name, verb)));

    private static IEnumerable<string> OptionNames(Command command) =>
        command.Options.Concat(Ancestors(command).SelectMany(a => a.Options.Where(o => o.Recursive)))
            .Where(o => !o.Hidden)
            .SelectMany(o => o.Aliases.Prepend(o.Name))
            .Where(n => n.StartsWith("--", StringComparison.Ordinal))
            .Distinct();

    private static IEnumerable<Command> Ancestors(Command command) => command.Parents.OfType<Command>();

    /// <summary>The first word naming a verb picks the words offered; a group's verb (token, cert) offers its own verbs too.</summary>
    private static string Bash(RootCommand root)
    {
        var script = new StringBuilder();
        script.Append("# brummer completion for bash: eval \"$(brummer completion bash)\"\n");
        script.Append("_brummer() {\n");
        script.Append("    local cur=\"${COMP_WORDS[COMP_CWORD]}\" verb=\"\" word i\n");
        script.Append("    for ((i = 1; i < COMP_CWORD; i++)); do\n");
        script.Append("        word=\"${COMP_WORDS[i]}\"\n");
        script.Append("        case \"$verb $word\" in\n");
        foreach (var (path, parent, name, _) in VerbPaths(root))
        {
            script.Append($"            \"{parent} {name}\") verb=\"{path}\" ;;\n");
        }

        script.Append("        esac\n");
        script.Append("    done\n");
        script.Append("    local words\n");
        script.Append("    case \"$verb\" in\n");
        script.Append($"        \"\") words=\"{Words(root)}\" ;;\n");
        foreach (var (path, _, _, command) in VerbPaths(root))
        {
            script.Append($"        \"{path}\") words=\"{Words(command)}\" ;;\n");
        }

        script.Append("    esac\n");
        script.Append("    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n");
        script.Append("}\n");
        script.Append("complete -o default -F _brummer brummer\n");
        return script.ToString();
    }

    private static string Words(Command command) =>
        string.Join(' ', Verbs(command).Select(v => v.Name).Concat(OptionNames(command)).Append("--help"));

    private static string Fish(RootCommand root)
    {
        var script = new StringBuilder("# brummer completion for fish: brummer completion fish | source\n");
        script.Append("complete -c brummer -f\n");
        var verbs = string.Join(' ', Verbs(root).Select(v => v.Name));
        foreach (var verb in Verbs(root))
        {
            script.Append($"complete -c brummer -n 'not __fish_seen_subcommand_from {verbs}' -a {verb.Name} -d {Quote(verb.Description)}\n");
            var subs = string.Join(' ', Verbs(verb).Select(v => v.Name));
            foreach (var sub in Verbs(verb))
            {
                script.Append($"complete -c brummer -n '__fish_seen_subcommand_from {verb.Name}; and not __fish_seen_subcommand_from {subs}' -a {sub.Name} -d {Quote(sub.Description)}\n");
            }

            foreach (var option in verb.Options.Concat(Verbs(verb).SelectMany(s => s.Options)).Where(o => !o.Hidden).DistinctBy(o => o.Name))
            {
                script.Append($"complete -c brummer -n '__fish_seen_subcommand_from {verb.Name}' -l {option.Name.TrimStart('-')} -d {Quote(option.Description)}\n");
            }
        }

        foreach (var option in root.Options.Where(o => o.Recursive && !o.Hidden))
        {
            script.Append($"complete -c brummer -l {option.Name.TrimStart('-')} -r -d {Quote(option.Description)}\n");
        }

        return script.ToString();
    }

    /// <summary>The first line of a description, in fish's single quotes.</summary>
    private static string Quote(string? text)
    {
        var line = (text ?? string.Empty).Split('\n')[0].Trim();
        return "'" + line.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
    }
}
