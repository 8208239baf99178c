using Microsoft.AspNetCore.Http;

namespace Brummer.Gateway.Security;

/// <summary>
/// Who is asking, for the records nodes keep (run history, audit): the one place that names the caller of a request.
/// A token's name when the gateway requires tokens (what a caller says of itself never overrides it); otherwise the
/// MCP client's name (its clientInfo), or what the caller sends in <see cref="Header"/> (the CLI's <c>user@host</c>,
/// <c>brummer mcp</c>'s stdio client's name), or an MCP client's User-Agent product.
/// </summary>
public sealed class ControlActors(IHttpContextAccessor http, TokenStore tokens)
{
    /// <summary>The header the CLI names its user in (<c>user@host</c>).</summary>
    public const string Header = "X-Brummer-Actor";

    /// <summary>Where an MCP call leaves its client's name (clientInfo) for the services it reaches.</summary>
    internal const string McpClientItem = "brummer.mcp-client";

    private const string ForceItem = "brummer.force";

    private const int MaxLength = 100;

    /// <summary>
    /// The caller passed <c>force: true</c>: this request's control calls act over someone else's claim on a process,
    /// and the node records that they did. Kept with the request, like the caller's name.
    /// </summary>
    public void Force(bool? force)
    {
        if (force is true && http.HttpContext is { } context)
        {
            context.Items[ForceItem] = true;
        }
    }

    /// <summary>Whether this request acts over others' claims (<see cref="Force"/>).</summary>
    public bool Forced => http.HttpContext?.Items[ForceItem] is true;

    public string Current()
    {
        var context = http.HttpContext;
        if (context is null)
        {
            return "gateway";
        }

        if (tokens.Enabled && context.User.Identity is { IsAuthenticated: true, Name: { Length: > 0 } token })
        {
            return token;
        }

        if (context.Items[McpClientItem] is string client && Clean(client) is { } mcp)
        {
            return mcp;
        }

        return Clean(context.Request.Headers[Header].ToString()) ?? McpUserAgent(context) ?? GatewayRoles.NameOf(context.User);
    }

    /// <summary>
    /// An MCP client that names itself nowhere else: the product of its User-Agent (<c>claude-code/1.2 (...)</c> is
    /// <c>claude-code</c>). Stateless MCP on the 2025-11-25 revision keeps no initialize, so its clientInfo is gone by the
    /// time a tool is called unless the client sends its notification session's id (McpSessionEndpoint keeps the name
    /// there); the 2026-07-28 revision sends clientInfo with every request and is named by it instead.
    /// </summary>
    private static string? McpUserAgent(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/mcp", StringComparison.Ordinal) &&
        context.Request.Headers.UserAgent.ToString() is { Length: > 0 } agent
            ? Clean(agent.Split(' ', '/')[0])
            : null;

    /// <summary>A caller's own words, kept printable and short: they end up in tables and logs.</summary>
    private static string? Clean(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var kept = new string([.. text.Trim().Where(c => !char.IsControl(c)).Take(MaxLength)]);
        return kept.Length == 0 ? null : kept;
    }
}
