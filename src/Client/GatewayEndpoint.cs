using System.Net.Http.Headers;

namespace Brummer.Client;

/// <summary>
/// Where a client verb finds its gateway (<c>--gateway</c>, else <c>BRUMMER_GATEWAY</c>, else the default port on
/// loopback) and which token it presents (<c>--token</c>, else <c>BRUMMER_TOKEN</c>).
/// </summary>
public static class GatewayEndpoint
{
    public const string TokenVariable = "BRUMMER_TOKEN";
    public const string GatewayVariable = "BRUMMER_GATEWAY";

    public static Uri Default { get; } = new("http://127.0.0.1:7777");

    /// <summary>The gateway <c>BRUMMER_GATEWAY</c> names when it holds an http(s) URL, else <see cref="Default"/>.</summary>
    public static Uri FromEnvironment() =>
        Environment.GetEnvironmentVariable(GatewayVariable) is { Length: > 0 } text && TryParse(text, out var uri) ? uri : Default;

    public static string? TokenFromEnvironment() => Environment.GetEnvironmentVariable(TokenVariable);

    public static bool TryParse(string text, out Uri uri) =>
        Uri.TryCreate(text, UriKind.Absolute, out uri!) && uri.Scheme is "http" or "https";

    /// <summary>
    /// <paramref name="gateway"/> as a base for the routes below it: with a trailing slash, so a gateway behind a reverse
    /// proxy's path (<c>https://host/brummer</c>) keeps that path when <c>api/…</c> or <c>mcp</c> is resolved against it.
    /// </summary>
    public static Uri AsBase(Uri gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        return gateway.AbsolutePath.EndsWith('/') ? gateway : new UriBuilder(gateway) { Path = gateway.AbsolutePath + "/" }.Uri;
    }

    /// <summary>A client for <paramref name="gateway"/> that names its caller and presents <paramref name="token"/>, if any.</summary>
    public static HttpClient CreateClient(Uri gateway, string? token)
    {
        var http = new HttpClient { BaseAddress = AsBase(gateway), Timeout = TimeSpan.FromMinutes(2) };
        // Who acts, for the gateway's records when it has no token to name the caller by (it never trusts this over one).
        http.DefaultRequestHeaders.TryAddWithoutValidation("X-Brummer-Actor", $"{Environment.UserName}@{Environment.MachineName}");
        if (token is { Length: > 0 })
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Trim());
        }

        return http;
    }
}
