using System.Net.Security;

namespace Brummer.Gateway.Nodes;

/// <summary>How a gateway secures the push connections it opens to nodes: the cluster's mutual TLS, or none.</summary>
public sealed class PushConnectionSecurity(Func<SslClientAuthenticationOptions>? tls)
{
    public static readonly PushConnectionSecurity None = new(null);

    /// <summary>Fresh options per connection (SslStream keeps what it is given); null without TLS.</summary>
    public SslClientAuthenticationOptions? NewTls() => tls?.Invoke();
}
