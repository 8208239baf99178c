using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace Brummer.Grains.Status.Push;

/// <summary>
/// The socket a node takes push connections on (<see cref="Abstractions.StatusPushWire"/>). Bound while the host is
/// built, so the node publishes where it listens (<see cref="Abstractions.NodeSnapshot.PushEndpoint"/>) from its very
/// first snapshot; port 0 takes any free one.
/// </summary>
public sealed class StatusPushPort : IDisposable
{
    private StatusPushPort(Socket socket, SslServerAuthenticationOptions? tls)
    {
        Socket = socket;
        Tls = tls;
        Endpoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    public IPEndPoint Endpoint { get; }

    /// <summary>The cluster's mutual TLS, which a gateway must pass before it hears anything; null when the cluster has none.</summary>
    public SslServerAuthenticationOptions? Tls { get; }

    internal Socket Socket { get; }

    /// <exception cref="SocketException">The port is taken, or the address is not this machine's.</exception>
    public static StatusPushPort Bind(IPAddress address, int port, SslServerAuthenticationOptions? tls)
    {
        ArgumentNullException.ThrowIfNull(address);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(16);
            return new StatusPushPort(socket, tls);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose() => Socket.Dispose();
}
