using System.CommandLine;
using System.Net.Http.Headers;

namespace Brummer.Cli.Commands;

/// <summary>
/// How client verbs reach a gateway: its URL (<c>--gateway</c>, <c>BRUMMER_GATEWAY</c>) and the caller's token
/// (<c>--token</c>, <c>BRUMMER_TOKEN</c>). Both options are recursive, so they work after any verb.
/// </summary>
internal sealed class GatewayAccess
{
    public const string TokenVariable = "BRUMMER_TOKEN";
    public const string GatewayVariable = "BRUMMER_GATEWAY";

    public Option<Uri> Gateway { get; } = new("--gateway")
    {
        Description = $"Gateway to talk to (default ${GatewayVariable}, else http://127.0.0.1:7777).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(GatewayVariable) is { Length: > 0 } fromEnvironment && TryParse(fromEnvironment, out var uri)
            ? uri
            : new Uri("http://127.0.0.1:7777"),
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            if (TryParse(text, out var uri))
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
        Description = $"API token for a gateway that requires one (default ${TokenVariable}). Prefer the variable: a token on the command line shows in `ps`.",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(TokenVariable),
        Recursive = true,
    };

    public HttpClient CreateClient(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var http = new HttpClient { BaseAddress = parse.GetValue(Gateway), Timeout = TimeSpan.FromMinutes(2) };
        // Who acts, for the gateway's records when it has no token to name the caller by (it never trusts this over one).
        http.DefaultRequestHeaders.TryAddWithoutValidation("X-Brummer-Actor", $"{Environment.UserName}@{Environment.MachineName}");
        if (parse.GetValue(Token) is { Length: > 0 } token)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Trim());
        }

        return http;
    }

    private static bool TryParse(string text, out Uri uri) =>
        Uri.TryCreate(text, UriKind.Absolute, out uri!) && uri.Scheme is "http" or "https";
}
