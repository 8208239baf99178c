using System.Net;
using System.Net.Sockets;

namespace Brummer.Cli.Commands;

/// <summary>
/// Whether a port is taken, asked before any host is built: a busy port then costs one line and an instant exit, not a
/// silo's and Kestrel's startup, their error logs and their shutdown.
/// </summary>
internal static class ListenPort
{
    public static bool IsTaken(IPAddress address, int port)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (port == 0)
        {
            return false;
        }

        using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Bind(new IPEndPoint(address, port));
            probe.Listen();
            return false;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return true;
        }
    }
}
