using Brummer.Client;

namespace Brummer.Cli.Native;

/// <summary>
/// A client verb in a form this front end answers by itself. Parsing is strict on purpose: it takes only what it
/// understands completely (the verb, its name, and the options below, as <c>--opt value</c> or <c>--opt=value</c>, each
/// once) and leaves everything else, errors and help included, to the full CLI, so the two can never disagree on what
/// a command line means.
/// </summary>
internal sealed class FastCommand
{
    private static readonly string[] ValueOptions = ["--gateway", "--token", "--node", "-n"];
    private static readonly string[] StatusValueOptions = ["--name", "--status"];

    private readonly string _verb;
    private readonly Dictionary<string, string> _values;
    private readonly HashSet<string> _flags;
    private readonly string? _name;

    private FastCommand(string verb, Dictionary<string, string> values, HashSet<string> flags, string? name)
    {
        _verb = verb;
        _values = values;
        _flags = flags;
        _name = name;
    }

    /// <returns>The command, or null when the full CLI must have it.</returns>
    public static FastCommand? Parse(string[] args)
    {
        if (args.Length == 0)
        {
            return null;
        }

        var verb = args[0];
        var isStatus = verb == "status";
        if (!isStatus && !ControlVerb.Actions.Contains(verb))
        {
            return null;
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        string? name = null;
        for (var i = 1; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg.StartsWith('-'))
            {
                var equals = arg.IndexOf('=', StringComparison.Ordinal);
                var option = equals > 0 ? arg[..equals] : arg;
                if (option is "--json" || (!isStatus && option is "--force"))
                {
                    // A flag takes no value here; `--json true` and the like are the full CLI's to read.
                    if (equals > 0 || !flags.Add(option) || (i + 1 < args.Length && args[i + 1] is "true" or "false"))
                    {
                        return null;
                    }

                    continue;
                }

                if (!ValueOptions.Contains(option) && !(isStatus && StatusValueOptions.Contains(option)))
                {
                    return null;
                }

                string value;
                if (equals > 0)
                {
                    value = arg[(equals + 1)..];
                }
                else if (i + 1 < args.Length && !args[i + 1].StartsWith('-'))
                {
                    value = args[++i];
                }
                else
                {
                    return null;
                }

                var key = option == "-n" ? "--node" : option;
                if (!values.TryAdd(key, value))
                {
                    return null;
                }
            }
            else if (isStatus || name is not null || arg.StartsWith('@'))
            {
                return null; // an argument status does not take, a second name, or a response file
            }
            else
            {
                name = arg;
            }
        }

        if ((!isStatus && string.IsNullOrEmpty(name)) ||
            (values.TryGetValue("--gateway", out var gateway) && !GatewayEndpoint.TryParse(gateway, out _)))
        {
            return null;
        }

        return new FastCommand(verb, values, flags, name);
    }

    public async Task<int> RunAsync()
    {
        var gateway = _values.TryGetValue("--gateway", out var url) && GatewayEndpoint.TryParse(url, out var uri) ? uri : GatewayEndpoint.FromEnvironment();
        var token = _values.TryGetValue("--token", out var given) ? given : GatewayEndpoint.TokenFromEnvironment();
        var node = _values.GetValueOrDefault("--node");
        var json = _flags.Contains("--json");
        using var http = GatewayEndpoint.CreateClient(gateway, token);
        return await GatewayCall.RunAsync(http, client => _verb == "status"
            ? StatusVerb.TextAsync(client, new StatusFilter(_values.GetValueOrDefault("--name"), node, _values.GetValueOrDefault("--status")), json, CancellationToken.None)
            : ControlVerb.TextAsync(client, new ControlRequest(_verb, _name!, node, _flags.Contains("--force")), json, CancellationToken.None)).ConfigureAwait(false);
    }
}
