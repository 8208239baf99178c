using System.CommandLine;
using Brummer.Client;

namespace Brummer.Cli.Commands;

/// <summary>
/// How client verbs reach a gateway: its URL (<c>--gateway</c>, <c>BRUMMER_GATEWAY</c>) and the caller's token
/// (<c>--token</c>, <c>BRUMMER_TOKEN</c>). Both options are recursive, so they work after any verb.
/// </summary>
internal sealed class GatewayAccess
{
    public Option<Uri> Gateway { get; } = new("--gateway")
    {
        Description = $"Gateway to talk to (default ${GatewayEndpoint.GatewayVariable}, else http://127.0.0.1:7777).",
        DefaultValueFactory = _ => GatewayEndpoint.FromEnvironment(),
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            if (GatewayEndpoint.TryParse(text, out var uri))
            {
                return uri;
            }

            result.AddError($"--gateway '{text}' is not an http(s) URL, e.g. http://127.0.0.1:7777.");
            return null;
        },
        Recursive = true,
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = $"API token for a gateway that requires one (default ${GatewayEndpoint.TokenVariable}). Prefer the variable: a token on the command line shows in `ps`.",
        DefaultValueFactory = _ => GatewayEndpoint.TokenFromEnvironment(),
        Recursive = true,
    };

    public HttpClient CreateClient(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return GatewayEndpoint.CreateClient(parse.GetValue(Gateway)!, parse.GetValue(Token));
    }
}
