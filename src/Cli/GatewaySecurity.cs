using System.Net;
using Brummer.Gateway;

namespace Brummer.Cli;

/// <summary>
/// How a hosted gateway protects itself, as decided from the command line: the token file (null: no authentication,
/// loopback only), the web origins allowed besides its own, whether it is read-only, and the control time limit.
/// Whether running exposed without tokens was accepted (<c>--insecure</c>) is decided before this is built.
/// </summary>
public sealed record GatewaySecurity(
    string? TokenFile,
    int Tokens,
    IReadOnlyList<string> AllowedOrigins,
    bool ReadOnly,
    TimeSpan ControlTimeout)
{
    public static GatewaySecurity LoopbackDefault { get; } = new(null, 0, [], ReadOnly: false, TimeSpan.FromSeconds(10));

    public void Apply(GatewayOptions options, IPAddress bind)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(bind);
        options.TokenFile = TokenFile;
        options.Exposed = !IPAddress.IsLoopback(bind);
        options.ReadOnly = ReadOnly;
        options.ControlTimeout = ControlTimeout;
        foreach (var origin in AllowedOrigins)
        {
            options.AllowedOrigins.Add(origin);
        }
    }

    /// <summary>What the banner says about access: where it listens, whether tokens are required, what is exposed.</summary>
    public IEnumerable<string> Describe(IPAddress bind, int port)
    {
        ArgumentNullException.ThrowIfNull(bind);
        var listening = bind.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{bind}]:{port}" : $"{bind}:{port}";
        var scope = IPAddress.IsLoopback(bind) ? "loopback only" : bind.Equals(IPAddress.Any) || bind.Equals(IPAddress.IPv6Any) ? "ALL interfaces" : "the network";
        yield return $"Listening on {listening} ({scope}){(ReadOnly ? ", read-only: no run/stop/restart" : string.Empty)}";
        yield return TokenFile is null
            ? "Auth: off (no token file; `brummer token create NAME --role operate` turns it on)"
            : $"Auth: on, {Tokens} token(s) from {TokenFile}";
        if (AllowedOrigins.Count > 0)
        {
            yield return $"Web origins allowed: {string.Join(", ", AllowedOrigins)}";
        }
    }

    /// <summary>The warning printed at every start of an exposed gateway without tokens.</summary>
    public string? Warning(IPAddress bind) =>
        !IPAddress.IsLoopback(bind) && Tokens == 0
            ? $"WARNING: listening on {bind} WITHOUT authentication (--insecure): anyone who can reach this machine can run and stop your scripts."
            : null;
}
